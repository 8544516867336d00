#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other (never in parallel: they measure time).
// Each prints its own table, ratios against a baseline measured in the same run, and PASS/FAIL per
// goal. Pass names to run some: `npm run bench -- fleet restore`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dir = import.meta.dirname;
const tsx = join(dir, '..', 'node_modules', '.bin', 'tsx');
const ALL = {
  compare: [process.execPath, [join(dir, 'compare.mjs')]],
  fleet: [process.execPath, [join(dir, 'fleet.mjs')]],
  scale: [process.execPath, [join(dir, 'scale.mjs')]],
  restore: [tsx, [join(dir, 'restore.ts')]],
  'github-writes': [tsx, [join(dir, 'github-writes.ts')]],
  'history-growth': [process.execPath, [join(dir, 'history-growth.mjs')]],
  'gate-traffic': [process.execPath, [join(dir, 'gate-traffic.mjs')]],
  soak: [process.execPath, [join(dir, 'soak.mjs'), '1000']],
};
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ALL);
let failed = 0;
for (const name of names) {
  const entry = ALL[name];
  if (!entry) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(ALL).join(', ')}`);
    process.exit(1);
  }
  console.log(`\n== ${name}`);
  const r = spawnSync(entry[0], entry[1], { stdio: 'inherit', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
