import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Octokit } from 'octokit';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIN } from '../helpers/cli.js';
import { POLICY } from '../helpers/gate.js';
import { TestRepo } from '../helpers/git-repo.js';
import { FakeGitHub } from '../helpers/github/fake-github.js';
import { skipWithout } from '../helpers/lb/ports.js';
import { tempDir } from '../helpers/tmp.js';

const WORKFLOW = join(import.meta.dirname, '..', '..', 'examples', 'github-actions', 'gate.yml');
const TOKEN = 'ghs_WorkflowTokenForTests0123456789';

interface Step {
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
  env?: Record<string, string>;
}

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
const steps = Object.values(workflow.jobs)[0]?.steps ?? [];

/** The built CLI as the workflow runs it, without blocking this process (the local GitHub answers in it). */
function runBin(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

describe('examples/github-actions/gate.yml', () => {
  let gh: FakeGitHub | undefined;
  afterEach(async () => {
    await gh?.stop();
    gh = undefined;
  });

  it('runs the gate on every pull request, with what it needs: full history, the load balancers, checks and PR write permissions', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    expect(workflow.permissions).toEqual({ contents: 'read', checks: 'write', 'pull-requests': 'write' });
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    expect(steps.some((s) => s.run?.includes('apt-get install -y haproxy nginx caddy'))).toBe(true);
    expect(steps.some((s) => s.run?.includes('npm ci') && s.run.includes('npm run build'))).toBe(true);
    const gate = steps.find((s) => s.run?.includes(' gate '));
    expect(gate?.env?.GITHUB_TOKEN).toBe('${{ secrets.GITHUB_TOKEN }}');
  });

  it.skipIf(skipWithout('haproxy'))("its gate command, run as the workflow runs it on a pull_request event, blocks the postmortem's change with a check run and a comment", async () => {
    const dir = tempDir('dw-actions-');
    const work = new TestRepo(join(dir, 'checkout'));
    const cfg = (balance: string): string => ['defaults', '    mode http', '    timeout connect 2s', '    timeout client 5s', '    timeout server 5s', '', 'backend api', `    ${balance}`, '    server a 10.0.0.1:80 check', '    server b 10.0.0.2:80 check', ''].join('\n');
    work.commit({ 'lb/haproxy.cfg': cfg('balance roundrobin') }, 'approved');
    work.branch('feature');
    const head = work.commit({ 'lb/haproxy.cfg': cfg('balance first') }, 'new algorithm');
    const origin = join(dir, 'origin.git');
    execFileSync('git', ['clone', '--bare', '--quiet', work.dir, origin]);
    // As actions/checkout leaves it: the remote's branches fetched (fetch-depth: 0).
    work.git('remote', 'add', 'origin', origin);
    work.git('fetch', '--quiet', 'origin');
    gh = new FakeGitHub({ bareRepo: origin, owner: 'acme', repo: 'lb-config', tokens: { [TOKEN]: 'write' } });
    const apiUrl = await gh.start();
    const pr = (await new Octokit({ auth: TOKEN, baseUrl: apiUrl }).rest.pulls.create({ owner: 'acme', repo: 'lb-config', head: 'feature', base: 'main', title: 'New algorithm' })).data.number;
    // driftwarden.yaml beside the checkout's files, with the `github` section the workflow's comments ask for.
    writeFileSync(join(work.dir, 'driftwarden.yaml'), stringify({ git: { repo: 'https://github.com/acme/lb-config.git' }, github: { repo: 'acme/lb-config', tokenEnv: 'GITHUB_TOKEN', apiUrl }, policy: POLICY, targets: [{ name: 'prod-lb', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: '/etc/haproxy/haproxy.cfg' }] }));
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: pr, pull_request: { number: pr, head: { sha: head, ref: 'feature' }, base: { ref: 'main' } } }));

    const run = steps.find((s) => s.run?.includes(' gate '))?.run ?? '';
    const args = run.slice(run.indexOf('bin.js"') + 'bin.js"'.length).trim().split(/\s+/);
    expect(args).toEqual(['--config', 'driftwarden.yaml', 'gate', '--github-check']);
    const r = await runBin(args, work.dir, { ...process.env, GITHUB_TOKEN: TOKEN, GITHUB_EVENT_PATH: event, GITHUB_BASE_REF: 'main', GITHUB_REF: `refs/pull/${pr}/merge` });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('gate: origin/main');
    expect(gh.checkRuns()).toEqual([expect.objectContaining({ head_sha: head, conclusion: 'failure' })]);
    expect(gh.checkRuns()[0]?.annotations).toEqual([expect.objectContaining({ path: 'lb/haproxy.cfg', start_line: 8 })]);
    expect(gh.comments(pr)).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  }, 90_000);
});
