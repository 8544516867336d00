#!/usr/bin/env node
// Benchmark 1, "big config compare": how long driftwarden's in-process check of one big
// HAProxy or nginx config takes (read + parse both sides + semantic compare, as check-target.ts
// does it; see lib/compare-pipeline.mjs), against GNU `diff -u a b > /dev/null` on the same two
// files, in the same run.
//
//   npm run build && node bench/compare.mjs [--repeats 7] [--pools 5000] [--servers 4]
//
// Cases per provider: identical, 1%, 20% and 100% of the lines changed, and a pathological pair
// (every line different and the pools shuffled). Each is timed twice per repeat: as a first check
// (the parsers' section caches emptied: the approved side is parsed from scratch, the live side
// reuses its unchanged sections) and as the same check again (a service's next pass). The
// unified diff that `driftwarden diff` shows is timed on its own: a check does not compute it.
// Prints a table, PASS/FAIL per goal (for both timings) and one JSON line. Exit 0 whatever the
// numbers (it is a report); 1 only if a run crashes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeableCount, changedModel, ODD_LAYOUT, pathologicalModel, poolModel, renderHaproxy, renderNginx } from './lib/compare-generate.mjs';
import { displayDiff, forgetParses, semanticCheck } from './lib/compare-pipeline.mjs';
import { diffU, fmt, stats, timed, wordFloor } from './lib/compare-measure.mjs';

const args = parseArgs(process.argv.slice(2), { repeats: 7, pools: 5000, servers: 4 });
const GOAL_ONE_PERCENT = 1.5;
const GOAL_ANY = 3;
const GOAL_PATHOLOGICAL_MS = 1000;
const RENDER = { haproxy: renderHaproxy, nginx: renderNginx };

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!(key in defaults) || !/^\d+$/.test(argv[i + 1] ?? '')) throw new Error(`usage: node bench/compare.mjs [--repeats N] [--pools N] [--servers N] (bad ${argv[i]})`);
    out[key] = Number(argv[i + 1]);
  }
  if (out.repeats < 5) throw new Error('--repeats must be at least 5 (the median of fewer says little)');
  return out;
}

/** The pairs of one provider: [name, approved text, live text, lines changed]. */
function pairsOf(kind, model) {
  const render = RENDER[kind];
  const approved = render(model);
  const lines = approved.split('\n').length - 1;
  const share = (pct) => changedModel(model, Math.round((lines * pct) / 100), pct);
  const all = changedModel(model, changeableCount(model), 100);
  return [
    ['0%', approved, approved, 0],
    ...[1, 20].map((pct) => {
      const v = share(pct);
      return [`${pct}%`, approved, render(v.model), v.changed];
    }),
    ['100%', approved, render(all.model), all.changed],
    ['pathological', approved, render(pathologicalModel(model, 42), ODD_LAYOUT), lines],
  ];
}

/** Lines of `live` that also occur in `approved`: 0 proves the pathological pair is all different. */
function sharedLines(approved, live) {
  const set = new Set(approved.split('\n'));
  return live.split('\n').filter((l) => l !== '' && set.has(l)).length;
}

/**
 * One case, `repeats` times: a first check (every parsed section forgotten, as after a start:
 * the approved side is parsed from scratch, the live side reuses its unchanged sections), then
 * the same check again (a service's next pass: sections parsed by the previous check are
 * reused), then diff -u, and the display diff. Interleaved, so load from elsewhere hits all alike.
 */
async function runCase(kind, name, approved, live, changed, dir) {
  const a = join(dir, `${kind}-${name}.approved`);
  const b = join(dir, `${kind}-${name}.live`);
  writeFileSync(a, approved);
  writeFileSync(b, live);
  await semanticCheck(kind, a, b); // warm-up: compiles the code paths
  const first = [];
  const repeat = [];
  const diff = [];
  const display = [];
  const floor = [];
  let comparison;
  let shown;
  for (let r = 0; r < args.repeats; r++) {
    forgetParses();
    first.push((await timed(() => semanticCheck(kind, a, b))).ms);
    const again = await timed(() => semanticCheck(kind, a, b));
    repeat.push(again.ms);
    comparison = again.value;
    diff.push(diffU(a, b));
    floor.push((await timed(() => wordFloor(a, b))).ms);
    const d = await timed(() => displayDiff(kind, comparison));
    display.push(d.ms);
    shown = d.value;
  }
  return {
    provider: kind,
    case: name,
    lines: approved.split('\n').length - 1,
    changedLines: changed,
    sharedLines: name === 'pathological' ? sharedLines(approved, live) : undefined,
    changes: comparison.changes.length,
    severity: comparison.severity,
    fingerprint: comparison.fingerprint,
    repeat: stats(repeat),
    first: stats(first),
    diffU: stats(diff),
    floor: stats(floor),
    display: { ...stats(display), kind: shown.kind, ...(shown.kind === 'too-large' ? { reason: shown.reason } : {}) },
    ratio: stats(repeat).median / stats(diff).median,
    firstRatio: stats(first).median / stats(diff).median,
    floorRatio: stats(floor).median / stats(diff).median,
  };
}

/** The goals, for a repeated check and for a first one. */
function goals(results) {
  return [...goalsOf(results, 'repeat', 'ratio', 'check'), ...goalsOf(results, 'first', 'firstRatio', 'first check')];
}

function goalsOf(results, timing, ratio, label) {
  const out = [];
  for (const r of results.filter((x) => x.case === '1%')) {
    out.push({ goal: `${r.provider} 1%: ${label} <= ${GOAL_ONE_PERCENT}x diff -u`, pass: r[ratio] <= GOAL_ONE_PERCENT, detail: `${r[ratio].toFixed(2)}x` });
  }
  // The issue gives the pathological pair its own goal (below): "every case" is 0%, 1%, 20% and 100%.
  const worst = results.filter((x) => x.case !== 'pathological').reduce((w, r) => (r[ratio] > w[ratio] ? r : w));
  out.push({ goal: `every case (0/1/20/100%): ${label} <= ${GOAL_ANY}x diff -u`, pass: worst[ratio] <= GOAL_ANY, detail: `worst ${worst.provider} ${worst.case} ${worst[ratio].toFixed(2)}x` });
  for (const r of results.filter((x) => x.case === 'pathological')) {
    const total = r[timing].max + r.display.max;
    const capped = r.display.kind === 'too-large';
    out.push({
      goal: `${r.provider} pathological: ${label} + display diff < ${GOAL_PATHOLOGICAL_MS} ms with the cap reported`,
      pass: total < GOAL_PATHOLOGICAL_MS && capped,
      detail: `slowest ${fmt(r[timing].max)} + ${fmt(r.display.max)} ms; display diff ${capped ? `too large (${r.display.reason})` : r.display.kind}`,
    });
  }
  return out;
}

function printTable(results) {
  const head = ['provider', 'case', 'lines', 'changed', 'changes', 'check med', 'min', 'max', 'first check', 'diff -u med', 'ratio', 'first ratio', 'word floor', 'display diff', 'shown'];
  const rows = results.map((r) => [
    r.provider, r.case, r.lines, r.changedLines, r.changes, fmt(r.repeat.median), fmt(r.repeat.min), fmt(r.repeat.max), fmt(r.first.median),
    fmt(r.diffU.median), `${r.ratio.toFixed(2)}x`, `${r.firstRatio.toFixed(2)}x`, `${r.floorRatio.toFixed(2)}x`, fmt(r.display.median), r.display.kind,
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
}

const diffVersion = execFileSync('diff', ['--version'], { encoding: 'utf8' }).split('\n')[0];
console.log(`driftwarden compare bench: ${args.pools} pools x ${args.servers} servers, median of ${args.repeats} (+1 warm-up), Node ${process.version}, ${diffVersion}; times in ms`);
console.log('check = what check-target.ts does in process for a target in mode alert: read both texts, narrow both to the blocks that differ, parse both (byte-equal HAProxy texts: no parse), hashes, compareConfigs');
console.log('check = the same pair checked again (a service pass: sections parsed before are reused); first check = every parsed section forgotten first');
console.log('word floor = Node reading both files and cutting every line into words, nothing else (bench/lib/compare-measure.mjs wordFloor), against diff -u: the least any in-process parse of the pair costs');
console.log('display diff = the capped unified diff of `driftwarden diff` (not part of a check)\n');
const dir = mkdtempSync(join(tmpdir(), 'dw-compare-'));
try {
  const model = poolModel(args.pools, args.servers);
  const results = [];
  for (const kind of ['haproxy', 'nginx']) {
    for (const [name, approved, live, changed] of pairsOf(kind, model)) results.push(await runCase(kind, name, approved, live, changed, dir));
  }
  printTable(results);
  const shared = results.filter((r) => r.sharedLines !== undefined).map((r) => `${r.provider} ${r.sharedLines}`).join(', ');
  console.log(`\npathological pairs, live lines equal to an approved line: ${shared}\n`);
  const verdicts = goals(results);
  for (const v of verdicts) console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.goal}  (${v.detail})`);
  console.log(JSON.stringify({ bench: 'compare', node: process.version, diff: diffVersion, ...args, results, goals: verdicts }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
