#!/usr/bin/env node
// Scale curve: `driftwarden check` (the built CLI, a fresh process) over 10, 100, 1,000 and 5,000
// file targets (1% drifted; each about 300 lines): pass time and peak RSS (GNU time's %M).
//
//   npm run build && node bench/scale.mjs [repeats=3] [sizes=10,100,1000,5000]
//
// Goals: time grows linearly (the 5,000 pass within 6x the 1,000 pass); peak RSS under 300 MB at 5,000.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeFleet } from './fleet.mjs';
import { fmt, ratio, summary } from './lib/stats.mjs';

const REPEATS = Number(process.argv[2] ?? 3);
const SIZES = (process.argv[3] ?? '10,100,1000,5000').split(',').map(Number);
const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');

/** One check: wall ms and peak RSS in MB. */
function check(config) {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, '--config', config, 'check'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 2 && r.status !== 0) throw new Error(`check exited ${r.status}: ${r.stderr}`);
  return { ms, rssMB: Number(r.stderr.trim().split('\n').at(-1)) / 1024 };
}

const rows = [];
const results = {};
for (const n of SIZES) {
  const fleet = makeFleet(n);
  try {
    check(fleet.config); // first pass: clone and first sight
    const runs = Array.from({ length: REPEATS }, () => check(fleet.config));
    const t = summary(runs.map((r) => r.ms));
    const rss = Math.max(...runs.map((r) => r.rssMB));
    results[n] = { ms: t.median, rssMB: rss };
    rows.push({ targets: n, 'pass (steady)': fmt(t), 'per target': `${(t.median / n).toFixed(2)} ms`, 'peak RSS': `${rss.toFixed(0)} MB` });
  } finally {
    rmSync(fleet.dir, { recursive: true, force: true });
  }
}
console.log(`scale: check pass over n file targets (1% drifted), ${REPEATS} repeats, median (min..max)`);
console.table(rows);
if (results[1000] && results[5000]) {
  const r = ratio(results[5000].ms, results[1000].ms);
  console.log(`5,000 / 1,000 pass time: ${r}x ${r <= 6 ? 'PASS' : 'FAIL'} (<= 6x); peak RSS at 5,000: ${results[5000].rssMB.toFixed(0)} MB ${results[5000].rssMB < 300 ? 'PASS' : 'FAIL'} (< 300 MB)`);
}
console.log(JSON.stringify({ bench: 'scale', results }));
