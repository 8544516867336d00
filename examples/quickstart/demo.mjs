// The quickstart: builds a small approved Git repository in a temp folder (two commits on main,
// plus an unmerged test branch holding the change that reached "production"), then runs
// driftwarden check, diff and history against the bundled live file. No network, no root.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'dist', 'cli', 'bin.js');
const work = process.env.DRIFTWARDEN_DEMO_DIR ?? mkdtempSync(join(tmpdir(), 'driftwarden-demo-'));
mkdirSync(work, { recursive: true });

cpSync(join(here, 'driftwarden.yaml'), join(work, 'driftwarden.yaml'));
cpSync(join(here, 'live'), join(work, 'live'), { recursive: true });

const repo = join(work, 'approved');
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Jane Smith', GIT_AUTHOR_EMAIL: 'jane@example.com',
  GIT_COMMITTER_NAME: 'Jane Smith', GIT_COMMITTER_EMAIL: 'jane@example.com',
};
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
const write = (rel, text) => {
  mkdirSync(dirname(join(repo, rel)), { recursive: true });
  writeFileSync(join(repo, rel), text);
};
const approved = readFileSync(join(here, 'approved', 'lb', 'edge.yaml'), 'utf8');
const live = readFileSync(join(here, 'live', 'edge.yaml'), 'utf8');

mkdirSync(repo, { recursive: true });
execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
// 1. the first approved version: two API servers
write('lb/edge.yaml', approved.replace(/\n      - name: api-3\n[^\n]*\n[^\n]*\n/, '\n'));
git('add', '-A');
git('commit', '--quiet', '-m', 'Edge load balancer: portal frontend, api and static pools');
// 2. the current approved version: a third API server
write('lb/edge.yaml', approved);
git('add', '-A');
git('commit', '--quiet', '-m', 'Add api-3 to the api pool');
// 3. an experiment that was never merged, yet reached the live load balancer
git('checkout', '--quiet', '-b', 'experiment/random-lb');
write('lb/edge.yaml', live);
git('commit', '--quiet', '-am', 'TEST ONLY: random balancing on the api pool');
git('checkout', '--quiet', 'main');

const run = (...args) => {
  console.log(`\n$ driftwarden ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, '--config', join(work, 'driftwarden.yaml'), ...args], { stdio: 'inherit' });
  console.log(`(exit code ${r.status})`);
  return r.status;
};

console.log(`driftwarden quickstart in ${work}`);
const checked = run('check');
run('diff', 'edge-lb');
run('history');
const verified = run('history', 'verify');
console.log(`\nThe state (history database, Git cache) is in ${join(work, '.driftwarden')}.`);
console.log(`Try: node ${cli} --config ${join(work, 'driftwarden.yaml')} status`);
// The demo succeeds when it found the drift (exit 2) and the history verifies.
process.exitCode = checked === 2 && verified === 0 ? 0 : 1;
