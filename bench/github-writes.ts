/**
 * Benchmark 5: GitHub API calls per drift in `mode: pr`.
 *
 *   npm run build && npx tsx bench/github-writes.ts
 *
 * Starts the local fake GitHub (test/helpers/github/fake-github.ts, loopback only) on a temp bare
 * "approved" repository, which is also the `git.repo` driftwarden fetches (the fake writes its Git
 * data API objects into that same bare repository, as in test/integration/github/pr-flow.test.ts).
 * One file target in mode pr drifts; the built CLI (`node dist/cli/bin.js reconcile --json`) runs
 * once (the new drift PR) and then 3 more times (the same drift). Every request the fake served is
 * counted per pass, by method.
 *
 * Two configurations: `pr-flow` is the pr-flow test's (github.labels [drift], github.reviewers
 * [jane]); `plain` has no labels and no reviewers; `stale-br` is pr-flow with a branch
 * driftwarden/edge-lb already there (left by an earlier PR), information only. A last pass with a
 * changed drift is shown as information (no goal).
 *
 * Goals: a new drift PR takes at most 5 write calls (POST/PATCH/PUT/DELETE); each later pass with
 * the same drift 0 write calls and at most 2 reads. Prints a table, the calls of every pass, a JSON
 * summary line and PASS/FAIL per goal. Exit 0 unless it crashes. Removes its temp folder and stops
 * the server it started.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { FakeGitHub, type FakeRequest } from '../test/helpers/github/fake-github.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const TOKEN = 'ghs_BenchToken0123456789abcdef';
const TOKEN_ENV = 'DW_BENCH_GH_TOKEN';
const MAX_NEW_WRITES = 5;
const MAX_LATER_READS = 2;
const LATER_PASSES = 3;

const APPROVED = `# approved edge config (benchmark)
backends:
  api:
    algorithm: roundrobin
    servers:
      - name: api-1
        address: 10.0.0.1:8080
        weight: 10
      - name: api-2
        address: 10.0.0.2:8080
        weight: 10
frontends:
  web:
    bind: 0.0.0.0:80
    default_backend: api
`;
const DRIFTED = APPROVED.replace('algorithm: roundrobin', 'algorithm: random').replace('weight: 10\nfrontends', 'weight: 50\nfrontends');
const DRIFTED_AGAIN = DRIFTED.replace('weight: 50', 'weight: 70');

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
const git = (args: string[]) => execFileSync('git', args, { env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

interface Pass {
  scenario: string;
  pass: string;
  exit: number;
  action: string;
  ms: number;
  writes: number;
  reads: number;
  calls: string[];
}

interface Scenario {
  name: string;
  labels: string[];
  reviewers: string[];
  /** A branch driftwarden/edge-lb left from before (say, a PR someone closed): information only. */
  staleBranch?: boolean;
}

/** The built CLI in a child process (asynchronous: the fake serves from this process's event loop). */
function cli(config: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', config, ...args], { env: { ...process.env, [TOKEN_ENV]: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const isWrite = (r: FakeRequest) => !['GET', 'HEAD'].includes(r.method);
const show = (r: FakeRequest) => `${r.method} ${decodeURIComponent(r.path.replace(/^\/repos\/[^/]+\/[^/]+/, ''))} ${r.status}`;

async function runScenario(root: string, s: Scenario, passes: Pass[], problems: string[]): Promise<void> {
  const dir = join(root, s.name);
  mkdirSync(dir, { recursive: true });
  const work = join(dir, 'work');
  mkdirSync(join(work, 'lb'), { recursive: true });
  git(['init', '--quiet', '--initial-branch=main', work]);
  writeFileSync(join(work, 'lb', 'edge.yaml'), APPROVED);
  git(['-C', work, 'add', '-A']);
  git(['-C', work, 'commit', '--quiet', '-m', 'Approve edge config']);
  const bare = join(dir, 'approved.git');
  git(['clone', '--quiet', '--bare', work, bare]);
  if (s.staleBranch) git(['-C', bare, 'branch', 'driftwarden/edge-lb', 'main']);

  const gh = new FakeGitHub({ bareRepo: bare, owner: 'acme', repo: 'lb-config', tokens: { [TOKEN]: 'write' } });
  const apiUrl = await gh.start();
  try {
    const live = join(dir, 'live.yaml');
    writeFileSync(live, DRIFTED);
    const config = join(dir, 'driftwarden.yaml');
    writeFileSync(
      config,
      stringify({
        git: { repo: bare },
        github: { repo: 'acme/lb-config', tokenEnv: TOKEN_ENV, apiUrl, labels: s.labels, reviewers: s.reviewers },
        targets: [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: live, mode: 'pr' }],
      }),
    );
    const one = async (label: string): Promise<void> => {
      const from = gh.requests.length;
      const t0 = performance.now();
      const run = await cli(config, ['reconcile', '--json']);
      const ms = performance.now() - t0;
      const served = gh.requests.slice(from);
      let action = `exit ${run.code}`;
      try {
        const a = JSON.parse(run.stdout).targets[0].action as { kind: string; outcome?: string; number?: number; reason?: string };
        action = a.kind === 'pr' ? `pr #${a.number} ${a.outcome}` : `${a.kind}${a.reason ? `: ${a.reason}` : ''}`;
      } catch {
        problems.push(`${s.name} ${label}: reconcile printed no JSON (exit ${run.code}): ${run.stderr.slice(0, 300)}`);
      }
      passes.push({ scenario: s.name, pass: label, exit: run.code, action, ms, writes: served.filter(isWrite).length, reads: served.filter((r) => !isWrite(r)).length, calls: served.map(show) });
    };
    await one('1 new drift');
    for (let i = 2; i <= LATER_PASSES + 1; i++) await one(`${i} same drift`);
    // Behaviour still intact: exactly one PR, with the configured labels and reviewers.
    const pulls = gh.pulls();
    if (pulls.length !== 1 || pulls[0]?.state !== 'open') problems.push(`${s.name}: expected one open PR, found ${JSON.stringify(pulls.map((p) => [p.number, p.state]))}`);
    else {
      if (JSON.stringify(pulls[0].labels) !== JSON.stringify(s.labels)) problems.push(`${s.name}: labels ${JSON.stringify(pulls[0].labels)}`);
      if (JSON.stringify(pulls[0].requestedReviewers) !== JSON.stringify(s.reviewers)) problems.push(`${s.name}: reviewers ${JSON.stringify(pulls[0].requestedReviewers)}`);
      const branchFile = git(['-C', bare, 'show', 'refs/heads/driftwarden/edge-lb:lb/edge.yaml']);
      if (branchFile !== DRIFTED) problems.push(`${s.name}: the PR branch does not hold the live content`);
    }
    // Information: the drift changes (branch force-updated, body edited, one comment).
    writeFileSync(live, DRIFTED_AGAIN);
    await one(`${LATER_PASSES + 2} changed drift (info)`);
    for (const v of gh.violations) problems.push(`${s.name}: OpenAPI: ${v}`);
  } finally {
    await gh.stop();
  }
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'dw-bench-github-'));
  const passes: Pass[] = [];
  const problems: string[] = [];
  const scenarios: Scenario[] = [
    { name: 'pr-flow', labels: ['drift'], reviewers: ['jane'] },
    { name: 'plain', labels: [], reviewers: [] },
    { name: 'stale-br', labels: ['drift'], reviewers: ['jane'], staleBranch: true },
  ];
  try {
    for (const s of scenarios) await runScenario(root, s, passes, problems);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  console.log(`\nGitHub API calls per reconcile pass (fake GitHub on loopback, built CLI, node ${process.version})\n`);
  console.log(`| ${pad('config', 8)} | ${pad('pass', 26)} | ${pad('action', 18)} | writes | reads | ${pad('time', 7)} |`);
  console.log(`|${'-'.repeat(10)}|${'-'.repeat(28)}|${'-'.repeat(20)}|--------|-------|${'-'.repeat(9)}|`);
  for (const p of passes) console.log(`| ${pad(p.scenario, 8)} | ${pad(p.pass, 26)} | ${pad(p.action, 18)} | ${pad(p.writes, 6)} | ${pad(p.reads, 5)} | ${pad(`${(p.ms / 1000).toFixed(2)} s`, 7)} |`);
  console.log('\nCalls per pass (method, path, status):');
  for (const p of passes) {
    console.log(`  ${p.scenario} / pass ${p.pass}:${p.calls.length ? '' : ' (none)'}`);
    for (const c of p.calls) console.log(`    ${c}`);
  }

  const goals: { goal: string; ok: boolean; detail: string }[] = [];
  for (const s of scenarios.filter((x) => !x.staleBranch)) {
    const mine = passes.filter((p) => p.scenario === s.name);
    const first = mine[0];
    const later = mine.slice(1, 1 + LATER_PASSES);
    // The least the Git data API allows: tree (content inline), commit, ref, pull request; plus one
    // call each for labels and reviewers, which GitHub does not take when a PR is created.
    // Branch, file commit (Contents API) and PR; labels and reviewers cannot go with the PR's creation.
    const floor = 3 + (s.labels.length ? 1 : 0) + (s.reviewers.length ? 1 : 0);
    goals.push({ goal: `${s.name}: new drift PR <= ${MAX_NEW_WRITES} writes`, ok: !!first && first.action.endsWith('opened') && first.writes <= MAX_NEW_WRITES, detail: `${first?.writes} writes (least possible for this config: ${floor}), ${first?.reads} reads (${first?.action})` });
    goals.push({
      goal: `${s.name}: same drift x${LATER_PASSES}: 0 writes, <= ${MAX_LATER_READS} reads per pass`,
      ok: later.length === LATER_PASSES && later.every((p) => p.writes === 0 && p.reads <= MAX_LATER_READS && p.action.endsWith('unchanged')),
      detail: later.map((p) => `${p.writes}w/${p.reads}r`).join(', '),
    });
  }
  goals.push({ goal: 'behaviour intact and every call matches GitHub\'s OpenAPI description', ok: problems.length === 0, detail: problems.length ? problems.join(' | ') : 'one open PR per config, labels/reviewers as configured, branch = live content, 0 violations' });

  console.log(
    `\n${JSON.stringify({
      bench: 'github-writes',
      node: process.version,
      passes: passes.map((p) => ({ config: p.scenario, pass: p.pass, action: p.action, writes: p.writes, reads: p.reads, ms: Math.round(p.ms), calls: p.calls })),
      goals: goals.map((g) => ({ goal: g.goal, pass: g.ok, detail: g.detail })),
    })}\n`,
  );
  for (const g of goals) console.log(`${g.ok ? 'PASS' : 'FAIL'}  ${g.goal}: ${g.detail}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
