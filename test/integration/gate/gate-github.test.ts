import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Octokit } from 'octokit';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../../helpers/cli.js';
import { POLICY } from '../../helpers/gate.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { FakeGitHub } from '../../helpers/github/fake-github.js';
import { skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const TOKEN = 'ghs_GateTokenForTests0123456789';

const cfg = (balance: string): string =>
  ['defaults', '    mode http', '    timeout connect 2s', '    timeout client 10s', '    timeout server 10s', '', 'backend api', `    ${balance}`, '    server a 10.0.0.1:80 check', '    server b 10.0.0.2:80 check', ''].join('\n');

describe.skipIf(skipWithout('haproxy'))('gate --github-check against a local GitHub (real octokit)', () => {
  let gh: FakeGitHub | undefined;
  afterEach(async () => {
    if (!gh) return;
    expect(gh.violations, "requests and replies match GitHub's OpenAPI description").toEqual([]);
    await gh.stop();
    gh = undefined;
  });

  it('creates one check run with annotations on the offending lines and one PR comment, then updates both instead of adding more', async () => {
    const dir = tempDir('dw-gate-gh-');
    const work = new TestRepo(join(dir, 'work'));
    work.commit({ 'lb/haproxy.cfg': cfg('balance roundrobin') }, 'approved');
    work.branch('change');
    const sha = work.commit({ 'lb/haproxy.cfg': cfg('balance first') }, 'try the new algorithm');
    work.checkout('main');
    const bare = join(dir, 'origin.git');
    execFileSync('git', ['clone', '--bare', '--quiet', work.dir, bare]);
    gh = new FakeGitHub({ bareRepo: bare, owner: 'acme', repo: 'lb-config', tokens: { [TOKEN]: 'write' } });
    const apiUrl = await gh.start();
    const octokit = new Octokit({ auth: TOKEN, baseUrl: apiUrl });
    const pr = (await octokit.rest.pulls.create({ owner: 'acme', repo: 'lb-config', head: 'change', base: 'main', title: 'Try the new algorithm' })).data.number;
    const config = join(dir, 'driftwarden.yaml');
    const writeConfig = (policy: unknown[]): void =>
      writeFileSync(config, stringify({ git: { repo: bare }, state: join(dir, 'state'), github: { repo: 'acme/lb-config', tokenEnv: 'DW_GATE_GH_TOKEN', apiUrl }, policy, targets: [{ name: 'prod-lb', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: '/etc/haproxy/haproxy.cfg' }] }));
    writeConfig(POLICY);
    const gate = async (): Promise<ReturnType<typeof cli>> => {
      process.env.DW_GATE_GH_TOKEN = TOKEN;
      try {
        return await cli('--config', config, 'gate', '--repo', work.dir, '--base', 'main', '--head', 'change', '--github-check', '--pr', String(pr));
      } finally {
        delete process.env.DW_GATE_GH_TOKEN;
      }
    };
    // The gate's own write calls (the PR above was opened by the test).
    const before = gh.requests.length;
    const writes = (): string[] => (gh as FakeGitHub).requests.slice(before).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);

    // First run: blocked; a check run on the PR's head commit, failing, with the annotation on the `balance` line.
    const first = await gate();
    expect(first.code, first.stdout + first.stderr).toBe(3);
    expect(first.stdout).toContain('check run created');
    expect(first.stdout).toContain('pull request comment created');
    expect(gh.checkRuns()).toHaveLength(1);
    const run = gh.checkRuns()[0] as ReturnType<FakeGitHub['checkRuns']>[number];
    expect(run).toMatchObject({ name: 'driftwarden gate', head_sha: sha, status: 'completed', conclusion: 'failure' });
    expect(run.output.title).toBe('blocked: 1 problem(s)');
    expect(run.annotations).toEqual([
      expect.objectContaining({ path: 'lb/haproxy.cfg', start_line: 8, end_line: 8, annotation_level: 'failure', message: 'production algorithms: backend api: balance first is not allowed (allowed: roundrobin, leastconn)' }),
    ]);
    expect(gh.comments(pr)).toHaveLength(1);
    expect(gh.comments(pr)[0]?.body).toContain('<!-- driftwarden:gate -->');
    expect(gh.comments(pr)[0]?.body).toContain('driftwarden gate: blocked');
    expect(writes()).toEqual(['POST /repos/acme/lb-config/check-runs', 'POST /repos/acme/lb-config/issues/' + pr + '/comments']);

    // Same result again: the check run is updated (no annotation added twice), the comment left alone.
    const again = await gate();
    expect(again.code).toBe(3);
    expect(again.stdout).toContain('check run updated');
    expect(again.stdout).toContain('pull request comment unchanged');
    expect(gh.checkRuns()).toHaveLength(1);
    expect(gh.checkRuns()[0]?.annotations).toHaveLength(1);
    expect(gh.comments(pr)).toHaveLength(1);
    expect(writes().slice(2)).toEqual([`PATCH /repos/acme/lb-config/check-runs/${run.id}`]);

    // The policy changes (first is allowed now): the same check run turns green, the same comment says so.
    writeConfig([{ name: 'production algorithms', allow: { algorithm: ['roundrobin', 'first'] } }]);
    const pass = await gate();
    expect(pass.code, pass.stdout + pass.stderr).toBe(0);
    expect(gh.checkRuns()).toHaveLength(1);
    expect(gh.checkRuns()[0]).toMatchObject({ id: run.id, conclusion: 'success', output: { title: 'pass: 1 target(s) checked' } });
    expect(gh.comments(pr)).toHaveLength(1);
    expect(gh.comments(pr)[0]?.body).toContain('driftwarden gate: pass');
    expect(writes().slice(3)).toEqual([`PATCH /repos/acme/lb-config/check-runs/${run.id}`, `PATCH /repos/acme/lb-config/issues/comments/${gh.comments(pr)[0]?.id}`]);
  }, 90_000);

  it('without a token it says which variable to set, and publishes nothing', async () => {
    const dir = tempDir('dw-gate-gh-');
    const work = new TestRepo(join(dir, 'work'));
    work.commit({ 'lb/haproxy.cfg': cfg('balance roundrobin') }, 'approved');
    const config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: work.dir }, state: join(dir, 'state'), github: { repo: 'acme/lb-config', tokenEnv: 'DW_GATE_NO_TOKEN', apiUrl: 'http://127.0.0.1:9' }, targets: [{ name: 'prod-lb', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: '/etc/haproxy/haproxy.cfg' }] }));
    const r = await cli('--config', config, 'gate', '--github-check', '--all');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --github-check needs a token in the environment variable DW_GATE_NO_TOKEN (github.tokenEnv) with checks:write and pull-requests:write');
  });
});
