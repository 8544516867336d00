#!/usr/bin/env node
// Soak test of `driftwarden run`: thousands of passes through the real service (built dist/),
// asking for each pass over POST /reconcile, with targets that drift and come back now and then.
// Samples memory and open file descriptors from /metrics and reports whether they stay flat.
//
//   npm run build && node bench/soak.mjs [passes=3000] [targets=10]
//
// Loopback only; every process it starts is stopped; the temp folder is removed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PASSES = Number(process.argv[2] ?? 3000);
const TARGETS = Number(process.argv[3] ?? 10);
const SAMPLE_EVERY = Math.max(1, Math.floor(PASSES / 30));
const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');

const dir = mkdtempSync(join(tmpdir(), 'dw-soak-'));
const git = (...args) => execFileSync('git', ['-C', join(dir, 'approved'), ...args], { stdio: 'pipe' });
const approved = (i) => `backends:\n  api${i}:\n    algorithm: roundrobin\n    servers:\n      - { name: a, address: 10.0.0.1:80, weight: 10 }\n      - { name: b, address: 10.0.0.2:80, weight: 10 }\n`;
mkdirSync(join(dir, 'approved'));
mkdirSync(join(dir, 'live'));
git('init', '-q', '-b', 'main');
for (let i = 0; i < TARGETS; i++) {
  writeFileSync(join(dir, 'approved', `t${i}.yaml`), approved(i));
  writeFileSync(join(dir, 'live', `t${i}.yaml`), approved(i));
}
git('add', '.');
git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'approve');

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const targets = Array.from({ length: TARGETS }, (_, i) => `  - { name: t${i}, desired: t${i}.yaml, provider: file, path: ./live/t${i}.yaml }`).join('\n');
writeFileSync(join(dir, 'driftwarden.yaml'), `git:\n  repo: ./approved\nschedule: "0 0 1 1 *"\nlisten: "127.0.0.1:${port}"\ntargets:\n${targets}\n`);

const child = spawn(process.execPath, [BIN, '--config', join(dir, 'driftwarden.yaml'), 'run', '--log-format', 'json', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
const metric = (text, name) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? NaN);
const passCount = async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('driftwarden_passes_total{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
};

const samples = [];
const started = Date.now();
try {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => null))?.status === 200) break;
    await sleep(100);
  }
  let done = await passCount();
  for (let pass = 0; pass < PASSES; pass++) {
    // Every 50 passes one target drifts, 25 passes later it is back: events, notifications, logs.
    if (pass % 50 === 0) writeFileSync(join(dir, 'live', `t${(pass / 50) % TARGETS}.yaml`), approved((pass / 50) % TARGETS).replace('roundrobin', 'random'));
    if (pass % 50 === 25) writeFileSync(join(dir, 'live', `t${((pass - 25) / 50) % TARGETS}.yaml`), approved(((pass - 25) / 50) % TARGETS));
    const res = await fetch(`${base}/reconcile`, { method: 'POST' });
    await res.arrayBuffer();
    // Wait for that pass to finish (bounded), so passes run back to back and never pile up.
    for (let w = 0; w < 2_000; w++) {
      const n = await passCount();
      if (n > done) {
        done = n;
        break;
      }
      await sleep(2);
    }
    if (pass % SAMPLE_EVERY === 0 || pass === PASSES - 1) {
      const text = await (await fetch(`${base}/metrics`)).text();
      samples.push({
        pass,
        rssMiB: metric(text, 'driftwarden_process_resident_memory_bytes') / 2 ** 20,
        heapMiB: metric(text, 'driftwarden_nodejs_heap_size_used_bytes') / 2 ** 20,
        fds: metric(text, 'driftwarden_process_open_fds'),
      });
    }
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

// Flat means: after a warm-up (the first fifth), the last third's median is within bounds of the
// second fifth's median. A leak grows with the number of passes; noise does not.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const warm = samples.filter((s) => s.pass >= PASSES / 5 && s.pass < (2 * PASSES) / 5);
const late = samples.filter((s) => s.pass >= (2 * PASSES) / 3);
const growth = (k) => median(late.map((s) => s[k])) - median(warm.map((s) => s[k]));
const result = {
  passes: PASSES,
  targets: TARGETS,
  seconds: Math.round((Date.now() - started) / 100) / 10,
  rssGrowthMiB: Math.round(growth('rssMiB') * 10) / 10,
  heapGrowthMiB: Math.round(growth('heapMiB') * 10) / 10,
  fdGrowth: growth('fds'),
  first: samples[0],
  last: samples.at(-1),
};
const flat = result.heapGrowthMiB < 8 && result.rssGrowthMiB < 24 && result.fdGrowth <= 2;
console.table(samples.map((s) => ({ pass: s.pass, rssMiB: s.rssMiB.toFixed(1), heapMiB: s.heapMiB.toFixed(1), fds: s.fds })));
console.log(JSON.stringify({ ...result, flat }, null, 2));
process.exitCode = flat ? 0 : 1;
