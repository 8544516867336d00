#!/usr/bin/env node
// Fleet pass: N approved files (about 300 lines each) in a local Git repository and N file-provider
// targets (1% drifted). Floor, measured in the same run: `git fetch` of the repository into an empty
// repository plus reading every approved and live file once (a Node process). Then `driftwarden
// check` as a user runs it (the built CLI, a fresh process): first pass (clone, first sight of
// everything) and a second pass with nothing new.
//
//   npm run build && node bench/fleet.mjs [targets=1000] [repeats=5]
//
// Goals: first pass <= 2x the floor; second pass <= 1.3x the floor.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, ratio, summary, timeProcess } from './lib/stats.mjs';

const N = Number(process.argv[2] ?? 1000);
const REPEATS = Number(process.argv[3] ?? 5);
const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');

/** About 300 lines of YAML: 12 backends x 5 servers with settings. */
export function approvedFile(i) {
  const lines = [`# service ${i}`, 'backends:'];
  for (let b = 0; b < 12; b++) {
    lines.push(`  svc${i}-b${b}:`, '    algorithm: roundrobin', '    timeout_connect: 5s', '    timeout_server: 30s', '    health_check: /healthz', '    servers:');
    for (let s = 0; s < 5; s++) lines.push(`      - name: s${s}`, `        address: 10.${i % 250}.${b}.${s + 1}:8080`, '        weight: 10');
  }
  lines.push('frontends:', `  web${i}:`, `    bind: 0.0.0.0:${8000 + (i % 1000)}`, `    default_backend: svc${i}-b0`);
  return `${lines.join('\n')}\n`;
}

/** Creates the fleet in a fresh temp folder; returns its paths. */
export function makeFleet(n) {
  const dir = mkdtempSync(join(tmpdir(), 'dw-fleet-'));
  const approved = join(dir, 'approved');
  mkdirSync(join(approved, 'lb'), { recursive: true });
  mkdirSync(join(dir, 'live'));
  const targets = [];
  for (let i = 0; i < n; i++) {
    const text = approvedFile(i);
    writeFileSync(join(approved, 'lb', `svc${i}.yaml`), text);
    // 1% drifted: the postmortem's change.
    writeFileSync(join(dir, 'live', `svc${i}.yaml`), i % 100 === 7 ? text.replace('algorithm: roundrobin', 'algorithm: random') : text);
    targets.push(`  - { name: svc${i}, desired: lb/svc${i}.yaml, provider: file, path: ./live/svc${i}.yaml }`);
  }
  const git = (...args) => execFileSync('git', ['-C', approved, ...args], { stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'approve the fleet');
  writeFileSync(join(dir, 'driftwarden.yaml'), `git:\n  repo: ./approved\ntargets:\n${targets.join('\n')}\n`);
  return { dir, approved, config: join(dir, 'driftwarden.yaml') };
}

/** The floor: fetch everything once, read every approved and live file once. */
export function floor(fleet, n) {
  const repo = join(fleet.dir, `floor-${Math.random().toString(36).slice(2)}`);
  execFileSync('git', ['init', '-q', '--bare', repo]);
  const fetch = timeProcess('git', ['--git-dir', repo, 'fetch', '-q', '--no-tags', fleet.approved, '+refs/heads/*:refs/remotes/origin/*']);
  const read = timeProcess(process.execPath, ['-e', `const fs=require('fs');let n=0;for(let i=0;i<${n};i++){n+=fs.readFileSync('${fleet.approved}/lb/svc'+i+'.yaml').length+fs.readFileSync('${fleet.dir}/live/svc'+i+'.yaml').length}`]);
  rmSync(repo, { recursive: true, force: true });
  return fetch + read;
}

function check(fleet) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, '--config', fleet.config, 'check'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 2) throw new Error(`check exited ${r.status} (expected 2, drift): ${r.stderr}`);
  return performance.now() - t;
}

async function main() {
  const fleet = makeFleet(N);
  try {
    const floors = [];
    const first = [];
    const second = [];
    for (let i = 0; i < REPEATS; i++) {
      floors.push(floor(fleet, N));
      rmSync(join(fleet.dir, '.driftwarden'), { recursive: true, force: true });
      first.push(check(fleet));
      second.push(check(fleet));
    }
    const f = summary(floors);
    const a = summary(first);
    const b = summary(second);
    const rows = [
      { case: 'floor: git fetch + read every file', time: fmt(f), ratio: 1, goal: '' },
      { case: 'check, first pass (clone, all new)', time: fmt(a), ratio: ratio(a.median, f.median), goal: ratio(a.median, f.median) <= 2 ? 'PASS (<= 2x)' : 'FAIL (<= 2x)' },
      { case: 'check, second pass (nothing new)', time: fmt(b), ratio: ratio(b.median, f.median), goal: ratio(b.median, f.median) <= 1.3 ? 'PASS (<= 1.3x)' : 'FAIL (<= 1.3x)' },
    ];
    console.log(`fleet: ${N} targets, 1% drifted, ${REPEATS} repeats (median (min..max))`);
    console.table(rows);
    console.log(JSON.stringify({ bench: 'fleet', targets: N, floorMs: f.median, firstMs: a.median, secondMs: b.median, firstRatio: ratio(a.median, f.median), secondRatio: ratio(b.median, f.median) }));
  } finally {
    rmSync(fleet.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
