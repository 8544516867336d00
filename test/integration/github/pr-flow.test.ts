import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../../helpers/cli.js';
import { Redactor } from '../../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import { parseFormat } from '../../../src/formats/index.js';
import { compareConfigs } from '../../../src/reconcile/compare.js';
import { APPROVED, DRIFTED } from '../../helpers/fixture.js';
import { FakeGitHub, primaryRateLimitReply } from '../../helpers/github/fake-github.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const TOKEN = 'ghs_FakeTokenForTests0123456789';
const READ_ONLY = 'ghs_ReadOnlyToken0123456789';

interface Env {
  dir: string;
  bare: string;
  gh: FakeGitHub;
  apiUrl: string;
  config: string;
  writeLive(text: string): void;
  run(...args: string[]): ReturnType<typeof cli>;
  writes(): number;
  events(type?: string): Promise<{ type: string; actor: string; reason: string; data: any }[]>;
}

/** An approved bare repository that driftwarden fetches and the fake GitHub writes to. */
async function env(options: { token?: string; approved?: string; live?: string; target?: Record<string, unknown>; policy?: unknown[] } = {}): Promise<Env> {
  const dir = tempDir('dw-gh-');
  const work = new TestRepo(join(dir, 'work'));
  work.commit({ 'lb/edge.yaml': options.approved ?? APPROVED }, 'Approve edge config');
  const bare = join(dir, 'approved.git');
  execFileSync('git', ['clone', '--quiet', '--bare', work.dir, bare]);
  const gh = new FakeGitHub({ bareRepo: bare, owner: 'acme', repo: 'lb-config', tokens: { [TOKEN]: 'write', [READ_ONLY]: 'read' } });
  const apiUrl = await gh.start();
  const live = join(dir, 'live.yaml');
  writeFileSync(live, options.live ?? DRIFTED);
  const config = join(dir, 'driftwarden.yaml');
  writeFileSync(config, stringify({
    git: { repo: bare },
    github: { repo: 'acme/lb-config', tokenEnv: 'DW_TEST_GH_TOKEN', apiUrl, labels: ['drift'], reviewers: ['jane'] },
    ...(options.policy ? { policy: options.policy } : {}),
    targets: [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: live, mode: 'pr', ...options.target }],
  }));
  const token = options.token ?? TOKEN;
  return {
    dir, bare, gh, apiUrl, config,
    writeLive: (text) => writeFileSync(live, text),
    run: async (...args) => {
      process.env.DW_TEST_GH_TOKEN = token;
      try {
        return await cli('--config', config, ...args);
      } finally {
        delete process.env.DW_TEST_GH_TOKEN;
      }
    },
    writes: () => gh.requests.filter((r) => r.method !== 'GET').length,
    events: async (type) => (await cli('--config', config, 'history', '--json', '--limit', '200', ...(type ? ['--type', type] : []))).json().events,
  };
}

/**
 * A real HAProxy target whose approved repository is served by the local GitHub (a bare clone of
 * the setup's repository), with driftwarden.yaml rewritten to use both.
 */
async function haproxyBehindGitHub(s: HaproxySetup, target: Record<string, unknown>): Promise<Env> {
  const bare = join(s.dir, 'approved.git');
  execFileSync('git', ['clone', '--quiet', '--bare', s.repo.dir, bare]);
  const e = { ...(await env()), bare };
  await e.gh.stop();
  e.gh = new FakeGitHub({ bareRepo: bare, owner: 'acme', repo: 'lb-config', tokens: { [TOKEN]: 'write' } });
  const apiUrl = await e.gh.start();
  s.writeConfig(target, { git: { repo: bare }, github: { repo: 'acme/lb-config', tokenEnv: 'DW_TEST_GH_TOKEN', apiUrl } });
  return e;
}

describe('drift pull requests against a local GitHub (real octokit, real git)', () => {
  let e: Env;
  afterEach(async () => {
    expect(e.gh.violations, 'requests and replies match GitHub\'s OpenAPI description').toEqual([]);
    await e.gh.stop();
  });

  describe('one drift, one PR', () => {
    beforeEach(async () => {
      e = await env();
    });

    it('opens one PR whose commit sets the desired file to the live content, with labels and reviewers', async () => {
      const run = await e.run('reconcile');
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/action: pull request #1 opened: https?:\/\/\S+\/pull\/1/);
      const [pr] = e.gh.pulls();
      expect(pr).toMatchObject({ number: 1, state: 'open', head: 'driftwarden/edge-lb', base: 'main', labels: ['drift'], requestedReviewers: ['jane'] });
      expect(pr?.title).toBe('driftwarden: edge-lb: backends.api.algorithm: roundrobin -> random (critical)');
      expect(pr?.body).toContain('| critical | backends.api.algorithm: roundrobin -> random |');
      expect(pr?.body).toMatch(/<!-- driftwarden \{"v":1,"target":"edge-lb","fingerprint":"[0-9a-f]{16}","bodyHash":"[0-9a-f]{16}"\} -->/);
      expect(pr?.body).toContain('**Gate verdict on the live content** (what merging approves):\n- Validation: no native checker for this provider\n- Policy: no rule applies to this target');
      expect(execFileSync('git', ['-C', e.bare, 'show', 'refs/heads/driftwarden/edge-lb:lb/edge.yaml'], { encoding: 'utf8' })).toBe(DRIFTED);
      expect((await e.events('pr')).map((x) => x.type)).toEqual(['pr.opened']);
      const check = (await e.run('check', '--json')).json().targets[0];
      expect(check.pr).toMatchObject({ number: 1, state: 'open' });
    });

    it('a label or reviewer that GitHub refuses does not lose the PR, and is said with GitHub\'s reason', async () => {
      e.gh.failNext(1, { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'custom', message: 'label name is too long' }] } }, { method: 'POST', pathIncludes: '/labels' });
      const run = await e.run('reconcile');
      expect(run.stdout).toMatch(/pull request #1 opened/);
      expect(run.stdout).toMatch(/pull request #1 opened: \S+ \(but GitHub: adding the labels drift failed \(HTTP 422\)/);
      expect(`${run.stdout}\n${run.stderr}`).toMatch(/Validation Failed \(label name is too long\)/);
      expect(e.gh.pulls()).toHaveLength(1);
      expect((await e.events('pr.opened'))[0]?.data).toMatchObject({ warnings: [expect.stringMatching(/label name is too long/)] });
      expect((await e.run('reconcile')).stdout).not.toMatch(/opened/);
      expect(e.gh.pulls()).toHaveLength(1);
    });

    it('the same drift on the next pass makes no write call', async () => {
      await e.run('reconcile');
      const before = e.writes();
      const again = await e.run('reconcile');
      expect(again.stdout).toMatch(/pull request #1 unchanged/);
      expect(e.writes()).toBe(before);
    });

    it('a PR opened before fingerprint v2 (its body names the drift by the old fingerprint) is the same drift: its description is rewritten once, then no write call', async () => {
      await e.run('reconcile');
      const v2 = e.gh.pulls()[0]?.body?.match(/"fingerprint":"([0-9a-f]{16})"/)?.[1] as string;
      const legacy = compareConfigs(parseFormat(APPROVED, 'a', 'yaml'), parseFormat(DRIFTED, 'b', 'yaml'), { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor: new Redactor(Buffer.alloc(32)) }).legacyFingerprint?.() as string;
      expect(legacy).not.toBe(v2);
      // As that version left things: the PR body's hidden metadata and the stored state hold the old fingerprint.
      const body = (e.gh.pulls()[0]?.body ?? '').replace(`"fingerprint":"${v2}"`, `"fingerprint":"${legacy}"`);
      const edit = await fetch(`${e.apiUrl}/repos/acme/lb-config/pulls/1`, { method: 'PATCH', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ body }) });
      expect(edit.status).toBe(200);
      const db = new Database(join(e.dir, '.driftwarden', 'history.db'));
      const state = JSON.parse((db.prepare('SELECT json FROM target_state WHERE name = ?').get('edge-lb') as { json: string }).json);
      delete state.fingerprintVersion;
      db.prepare('UPDATE target_state SET json = ? WHERE name = ?').run(JSON.stringify({ ...state, fingerprint: legacy, pr: { ...state.pr, fingerprint: legacy } }), 'edge-lb');
      db.close();
      const before = e.writes();
      const again = await e.run('reconcile');
      expect(again.stdout).toMatch(/pull request #1 unchanged/);
      // One write: the description, now with the new fingerprint. No push, no comment.
      expect(e.gh.requests.filter((r) => r.method !== 'GET').slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['PATCH /repos/acme/lb-config/pulls/1']);
      const [pr] = e.gh.pulls();
      expect(pr?.body).toContain(`"fingerprint":"${v2}"`);
      expect(pr?.comments).toHaveLength(0);
      const after = e.writes();
      expect((await e.run('reconcile')).stdout).toMatch(/pull request #1 unchanged/);
      expect(e.writes()).toBe(after);
      expect((await e.events()).map((x) => x.type)).toEqual(['drift.detected', 'pr.opened']);
    });

    it('a changed drift updates the same branch and PR, with one comment', async () => {
      await e.run('reconcile');
      e.writeLive(DRIFTED.replace('weight: 50', 'weight: 70'));
      const run = await e.run('reconcile');
      expect(run.stdout).toMatch(/pull request #1 updated/);
      const [pr] = e.gh.pulls();
      expect(e.gh.pulls()).toHaveLength(1);
      expect(pr?.comments).toHaveLength(1);
      expect(pr?.body).toContain('weight: 10 -> 70');
      expect(execFileSync('git', ['-C', e.bare, 'show', 'refs/heads/driftwarden/edge-lb:lb/edge.yaml'], { encoding: 'utf8' })).toContain('weight: 70');
    });

    it('closes the PR (with a comment) and deletes the branch when the live config returns to the approved one', async () => {
      await e.run('reconcile');
      e.writeLive(APPROVED);
      const run = await e.run('reconcile');
      expect(run.code).toBe(0);
      expect(e.gh.pulls()[0]).toMatchObject({ state: 'closed', merged: false });
      expect(e.gh.pulls()[0]?.comments).toHaveLength(1);
      expect(() => execFileSync('git', ['-C', e.bare, 'rev-parse', '--verify', '--quiet', 'refs/heads/driftwarden/edge-lb'], { stdio: 'pipe' })).toThrow();
      const types = (await e.events()).map((x) => x.type);
      expect(types).toContain('pr.closed');
      expect(types).not.toContain('pr.rejected');
    });

    it('merged: the approved branch holds the live content, and history says who approved it', async () => {
      await e.run('reconcile');
      e.gh.merge(1, 'octo-reviewer');
      const run = await e.run('reconcile');
      expect(run.code).toBe(0); // the approved branch now equals live
      const approved = (await e.events()).filter((x) => x.type === 'pr.merged' || x.type === 'drift.approved');
      expect(approved.map((x) => [x.type, x.actor])).toEqual([['pr.merged', 'github:octo-reviewer'], ['drift.approved', 'github:octo-reviewer']]);
      const check = await e.run('check');
      expect(check.code).toBe(0);
    });
  });

  it("the PR shows the gate's verdict on the live content: the rule that merging would break, with its line", async () => {
    e = await env({ policy: [{ name: 'production algorithms', allow: { algorithm: ['roundrobin', 'leastconn'] } }, { name: 'redundancy', require: { minServersPerPool: 2 } }] });
    await e.run('reconcile');
    const body = e.gh.pulls()[0]?.body ?? '';
    expect(body).toContain('- Policy: ⛔ **1 violation(s)** of 2 rule(s); merging would approve them:\n  - `lb/edge.yaml:4` production algorithms: backends api: algorithm random is not allowed (allowed: roundrobin, leastconn)');
  });

  it('honours a secondary rate limit (403 with retry-after) and a 5xx storm, and opens exactly one PR', async () => {
    e = await env();
    e.gh.failNext(1, { status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' } }, { method: 'POST', pathIncludes: '/pulls' });
    // A new branch's file goes up with PUT .../contents: that is where the storm hits.
    e.gh.failNext(2, { status: 502, body: { message: 'Server Error' } }, { method: 'PUT', pathIncludes: '/contents' });
    const run = await e.run('reconcile');
    expect(run.stdout).toMatch(/pull request #1 opened/);
    expect(e.gh.pulls()).toHaveLength(1);
    const contents = e.gh.requests.filter((r) => r.method === 'PUT' && r.path.includes('/contents'));
    expect(contents.map((r) => r.status)).toEqual([502, 502, expect.any(Number)]);
    expect(e.gh.requests.filter((r) => r.method === 'POST' && r.path.includes('/pulls')).map((r) => r.status)[0]).toBe(403);
  });

  it('a 5xx storm that outlasts the retries is reported once, and the next pass opens the PR without a duplicate', async () => {
    e = await env();
    e.gh.failNext(4, { status: 500, body: { message: 'Server Error' } }); // one try and three retries
    const failed = await e.run('reconcile', '--json');
    expect(failed.json().targets[0].action).toMatchObject({ kind: 'pr-failed', reason: expect.stringMatching(/GitHub: .* failed \(HTTP 500\).*the next pass tries again/) });
    expect((await e.events('pr.failed'))).toHaveLength(1);
    const ok = await e.run('reconcile');
    expect(ok.stdout).toMatch(/pull request #1 opened/);
    expect(e.gh.pulls()).toHaveLength(1);
  });

  it('a token without push rights gets a clear message, not a crash, and no PR', async () => {
    e = await env({ token: READ_ONLY });
    const run = await e.run('reconcile', '--json');
    expect(run.json().targets[0].action).toMatchObject({ kind: 'pr-failed', reason: expect.stringMatching(/HTTP 403.*the token lacks permission/) });
    expect(e.gh.pulls()).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(READ_ONLY);
  });

  it('an invalid token gets a clear 401 message; a primary rate limit (x-ratelimit-reset) is waited out', async () => {
    e = await env({ token: 'ghs_NotAValidToken000000' });
    const bad = await e.run('reconcile', '--json');
    expect(bad.json().targets[0].action).toMatchObject({ kind: 'pr-failed', reason: expect.stringMatching(/HTTP 401.*invalid or expired; check github\.tokenEnv/) });
    await e.gh.stop();
    e = await env();
    e.gh.failNext(1, primaryRateLimitReply(1), { method: 'GET', pathIncludes: '/pulls' });
    expect((await e.run('reconcile')).stdout).toMatch(/pull request #1 opened/);
  });

  it('a drift that changes a secret is never committed: refused and recorded', async () => {
    const approved = `${APPROVED}stats:\n  password: OldSecretValue1\n`;
    e = await env({ approved, live: approved.replace('OldSecretValue1', 'NewSecretValue2') });
    const run = await e.run('reconcile', '--json');
    expect(run.json().targets[0].action).toMatchObject({ kind: 'refused', reason: 'secret' });
    expect(e.gh.pulls()).toEqual([]);
    expect(e.writes()).toBe(0);
    expect(JSON.stringify(e.gh.requests)).not.toMatch(/NewSecretValue2|OldSecretValue1/);
    expect((await e.events('pr.skipped'))[0]?.reason).toMatch(/secret values \(stats\.password\)/);
  });

  it.skipIf(skipWithout('haproxy'))('rejected (closed without merging): pr.rejected, then reverted through the guard rails', async () => {
    const s = await haproxySetup('alert');
    try {
      e = await haproxyBehindGitHub(s, { mode: 'pr', onReject: 'revert' });
      await s.lb.editAndReload(s.withAlgorithm('random'));
      process.env.DW_TEST_GH_TOKEN = TOKEN;
      expect((await cli('--config', s.config, 'reconcile')).stdout).toMatch(/pull request #1 opened/);
      e.gh.close(1);
      const run = await cli('--config', s.config, 'reconcile');
      expect(run.stdout).toMatch(/action: reverted to [0-9a-f]{12}/);
      expect(await s.lb.algo('api')).toBe('roundrobin');
      const types = (await cli('--config', s.config, 'history', '--json')).json().events.map((x: { type: string }) => x.type);
      expect(types).toEqual(expect.arrayContaining(['pr.opened', 'pr.rejected', 'revert.planned', 'revert.applied', 'drift.resolved']));
      // The rejected drift is not proposed again.
      expect(e.gh.pulls()).toHaveLength(1);
      expect(readFileSync(s.lb.config, 'utf8')).toBe(s.approved);
    } finally {
      delete process.env.DW_TEST_GH_TOKEN;
      await s.stop();
    }
  });

  it.skipIf(skipWithout('haproxy'))('a drift in the running process only (a runtime weight of 0) opens no PR: the file equals Git; it is refused and recorded once', async () => {
    const s = await haproxySetup('alert');
    try {
      e = await haproxyBehindGitHub(s, { mode: 'pr' });
      await s.lb.api('set server api/s2 weight 0');
      process.env.DW_TEST_GH_TOKEN = TOKEN;
      const run = await cli('--config', s.config, 'reconcile');
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/runtime only: backend api: server s2 weight 10 -> 0/);
      expect(run.stdout).toMatch(/a pull request has nothing to propose/);
      await cli('--config', s.config, 'reconcile');
      expect(e.gh.pulls()).toEqual([]);
      const skipped = (await cli('--config', s.config, 'history', '--type', 'pr.skipped', '--json')).json().events;
      expect(skipped).toEqual([expect.objectContaining({ data: { refused: 'not-in-file' } })]);
    } finally {
      delete process.env.DW_TEST_GH_TOKEN;
      await s.stop();
    }
  });
});
