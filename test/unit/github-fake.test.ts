import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Octokit } from 'octokit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/git-repo.js';
import { FakeGitHub, secondaryRateLimitReply } from '../helpers/github/fake-github.js';
import { gitHubSpec } from '../helpers/github/openapi.js';
import { tempDir } from '../helpers/tmp.js';

const owner = 'acme';
const repo = 'lb-config';
const APPROVED = 'global\n  maxconn 100\n';
const EDGE = 'global\n  maxconn 200\n';

let fake: FakeGitHub;
let bare: string;
let baseUrl: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-C', bare, ...args], { encoding: 'utf8' }).trim();
}

/** The client as driftwarden builds it: throttling and retry plugins on, two retries. */
function client(auth: string): Octokit {
  return new Octokit({
    auth,
    baseUrl,
    throttle: {
      onRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 2,
    },
    retry: { retries: 2 },
  });
}

async function status(promise: Promise<unknown>): Promise<{ status: number; message: string; data: unknown }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status: number; message: string; response?: { data?: unknown } };
    return { status: e.status, message: e.message, data: e.response?.data };
  }
  throw new Error('expected the request to fail');
}

beforeEach(async () => {
  // The approved repository: main with lb/haproxy.cfg, and two drift branches off it.
  const dir = tempDir('dw-gh-fake-');
  const work = new TestRepo(join(dir, 'work'));
  work.commit({ 'lb/haproxy.cfg': APPROVED }, 'approved config');
  work.branch('driftwarden/edge');
  work.commit({ 'lb/haproxy.cfg': EDGE }, 'edge drift');
  work.checkout('main');
  work.branch('driftwarden/web');
  work.commit({ 'web/nginx.conf': 'events {}\n' }, 'web drift');
  work.checkout('main');
  bare = join(dir, 'approved.git');
  execFileSync('git', ['clone', '--bare', '--quiet', work.dir, bare]);
  fake = new FakeGitHub({ bareRepo: bare, owner, repo, tokens: { tok: 'write', ro: 'read' } });
  baseUrl = await fake.start();
});

afterEach(async () => {
  await fake.stop();
});

describe('FakeGitHub', () => {
  it('listens on 127.0.0.1 and sends GitHub rate-limit and request-id headers', async () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await client('tok').rest.git.getRef({ owner, repo, ref: 'heads/main' });
    expect(res.status).toBe(200);
    expect(res.data.object.sha).toBe(git('rev-parse', 'main'));
    for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-used', 'x-github-request-id']) {
      expect(res.headers[h], h).toBeTruthy();
    }
    expect(res.headers['x-ratelimit-resource']).toBe('core');
    expect(fake.violations).toEqual([]);
  });

  it('Git data API writes real blobs, trees, commits and refs into the bare repository', async () => {
    const o = client('tok');
    const main = git('rev-parse', 'main');
    const blob = await o.rest.git.createBlob({ owner, repo, content: Buffer.from(EDGE).toString('base64'), encoding: 'base64' });
    expect(blob.status).toBe(201);
    expect(git('cat-file', 'blob', blob.data.sha)).toBe(EDGE.trim());

    const tree = await o.rest.git.createTree({
      owner,
      repo,
      base_tree: git('rev-parse', 'main^{tree}'),
      tree: [
        { path: 'lb/haproxy.cfg', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'lb/extra/notes.txt', mode: '100644', type: 'blob', content: 'hello\n' },
      ],
    });
    expect(tree.status).toBe(201);
    expect(tree.data.tree.map((e) => e.path)).toEqual(['lb']);

    const commit = await o.rest.git.createCommit({ owner, repo, message: 'drift: edge', tree: tree.data.sha, parents: [main] });
    expect(commit.status).toBe(201);
    expect(commit.data.parents.map((p) => p.sha)).toEqual([main]);
    expect(git('log', '-1', '--format=%s', commit.data.sha)).toBe('drift: edge');

    const ref = await o.rest.git.createRef({ owner, repo, ref: 'refs/heads/driftwarden/api', sha: commit.data.sha });
    expect(ref.status).toBe(201);
    expect(ref.data.object.sha).toBe(commit.data.sha);
    expect(git('show', 'refs/heads/driftwarden/api:lb/haproxy.cfg')).toBe(EDGE.trim());
    expect(git('show', 'refs/heads/driftwarden/api:lb/extra/notes.txt')).toBe('hello');
    expect(git('ls-tree', '-r', '--name-only', 'driftwarden/api').split('\n')).toEqual(['lb/extra/notes.txt', 'lb/haproxy.cfg']);
    expect((await o.rest.git.getRef({ owner, repo, ref: 'heads/driftwarden/api' })).data.ref).toBe('refs/heads/driftwarden/api');

    const dup = await status(o.rest.git.createRef({ owner, repo, ref: 'refs/heads/driftwarden/api', sha: main }));
    expect(dup.status).toBe(422);
    expect(dup.message).toContain('Reference already exists');

    const backwards = await status(o.rest.git.updateRef({ owner, repo, ref: 'heads/driftwarden/api', sha: main }));
    expect(backwards.status).toBe(422);
    expect(backwards.message).toContain('Update is not a fast forward');
    expect(git('rev-parse', 'driftwarden/api')).toBe(commit.data.sha);

    expect((await o.rest.git.deleteRef({ owner, repo, ref: 'heads/driftwarden/api' })).status).toBe(204);
    expect((await status(o.rest.git.getRef({ owner, repo, ref: 'heads/driftwarden/api' }))).status).toBe(404);
    expect(fake.violations).toEqual([]);
  }, 40_000);

  // octokit spaces writes a second apart, and PR/comment/review/merge writes three seconds apart
  // (GitHub's notification guidance), so the whole flow is one test.
  it('pull request flow: create, duplicate, list and paginate, update, comment, label, review, merge, close', async () => {
    const o = client('tok');
    const created = await o.rest.pulls.create({ owner, repo, head: `${owner}:driftwarden/edge`, base: 'main', title: 'drift: edge', body: 'first' });
    expect(created.status).toBe(201);
    expect(created.data.number).toBe(1);
    expect(created.data.html_url).toBe(`https://github.example/${owner}/${repo}/pull/1`);
    expect(created.data.head.sha).toBe(git('rev-parse', 'driftwarden/edge'));

    const dup = await status(o.rest.pulls.create({ owner, repo, head: `${owner}:driftwarden/edge`, base: 'main', title: 'again' }));
    expect(dup.status).toBe(422);
    expect(JSON.stringify(dup.data)).toContain(`A pull request already exists for ${owner}:driftwarden/edge.`);

    await o.rest.pulls.create({ owner, repo, head: `${owner}:driftwarden/web`, base: 'main', title: 'drift: web' });

    const filtered = await o.rest.pulls.list({ owner, repo, head: `${owner}:driftwarden/edge`, state: 'open' });
    expect(filtered.data.map((p) => p.number)).toEqual([1]);
    const firstPage = await o.rest.pulls.list({ owner, repo, state: 'all', per_page: 1 });
    expect(firstPage.data).toHaveLength(1);
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await o.paginate(o.rest.pulls.list, { owner, repo, state: 'all', per_page: 1 });
    expect(all.map((p) => p.number).sort()).toEqual([1, 2]);
    expect(fake.requests.some((r) => r.path.includes('page=2'))).toBe(true);

    await o.rest.pulls.update({ owner, repo, pull_number: 1, body: 'second' });
    await o.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'still drifting' });
    expect((await o.rest.issues.listComments({ owner, repo, issue_number: 1 })).data.map((c) => c.body)).toEqual(['still drifting']);
    const labels = await o.rest.issues.addLabels({ owner, repo, issue_number: 1, labels: ['drift', 'driftwarden'] });
    expect(labels.data.map((l) => l.name)).toEqual(['drift', 'driftwarden']);
    const reviewed = await o.rest.pulls.requestReviewers({ owner, repo, pull_number: 1, reviewers: ['alice'], team_reviewers: ['netops'] });
    expect(reviewed.status).toBe(201);

    expect(fake.pulls()[0]).toMatchObject({
      number: 1,
      state: 'open',
      body: 'second',
      head: 'driftwarden/edge',
      base: 'main',
      labels: ['drift', 'driftwarden'],
      requestedReviewers: ['alice'],
      requestedTeams: ['netops'],
      comments: [{ body: 'still drifting', user: 'driftwarden[bot]' }],
      merged: false,
    });

    // A reviewer merges #1: main fast-forwards to its head.
    expect(fake.merge(1, 'alice')).toMatchObject({ state: 'closed', merged: true, mergedBy: 'alice' });
    expect(git('rev-parse', 'main')).toBe(git('rev-parse', 'driftwarden/edge'));
    expect(git('show', 'main:lb/haproxy.cfg')).toBe(EDGE.trim());
    const got = await o.rest.pulls.get({ owner, repo, pull_number: 1 });
    expect(got.data).toMatchObject({ merged: true, state: 'closed', merged_by: { login: 'alice' } });

    // A reviewer closes #2; it is reopened and closed through the API, reopened again...
    expect(fake.close(2)).toMatchObject({ state: 'closed', merged: false });
    await o.rest.pulls.update({ owner, repo, pull_number: 2, state: 'open' });
    expect((await o.rest.pulls.update({ owner, repo, pull_number: 2, state: 'closed' })).data.state).toBe('closed');
    expect(fake.pulls()[1]).toMatchObject({ state: 'closed', merged: false });
    await o.rest.pulls.update({ owner, repo, pull_number: 2, state: 'open' });

    // ...and merged through the API onto the moved main: a merge commit with both parents.
    const before = git('rev-parse', 'main');
    const merged = await o.rest.pulls.merge({ owner, repo, pull_number: 2 });
    expect(merged.data.merged).toBe(true);
    expect(git('rev-parse', 'main')).toBe(merged.data.sha);
    expect(git('rev-list', '--parents', '-n', '1', 'main').split(' ').slice(1)).toEqual([before, git('rev-parse', 'driftwarden/web')]);
    expect(git('show', 'main:web/nginx.conf')).toBe('events {}');
    expect(git('show', 'main:lb/haproxy.cfg')).toBe(EDGE.trim());
    expect(fake.pulls()[1]).toMatchObject({ state: 'closed', merged: true, mergedBy: 'driftwarden[bot]', mergeCommitSha: merged.data.sha });
    expect((await o.rest.pulls.list({ owner, repo })).data).toEqual([]);
    expect(fake.violations).toEqual([]);
  }, 45_000);

  it('a read-only token gets 403 on writes; an unknown token gets 401', async () => {
    const ro = client('ro');
    expect((await ro.rest.pulls.list({ owner, repo, state: 'all' })).status).toBe(200);
    const denied = await status(ro.rest.pulls.create({ owner, repo, head: `${owner}:driftwarden/edge`, base: 'main', title: 'x' }));
    expect(denied.status).toBe(403);
    expect(denied.message).toContain('Resource not accessible by integration');
    expect(fake.pulls()).toEqual([]);

    const bad = await status(client('nope').rest.pulls.list({ owner, repo }));
    expect(bad.status).toBe(401);
    expect(bad.message).toContain('Bad credentials');

    const other = await status(client('tok').rest.pulls.list({ owner, repo: 'other' }));
    expect(other.status).toBe(404);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 403, 401, 404]);
    expect(fake.violations).toEqual([]);
  }, 20_000);

  it('a secondary rate limit (403 + retry-after) and a 429 are retried by octokit, then succeed', async () => {
    const o = client('tok');
    fake.failNext(1, secondaryRateLimitReply(1), { method: 'GET', pathIncludes: '/pulls' });
    const t0 = Date.now();
    expect((await o.rest.pulls.list({ owner, repo })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200]);

    fake.failNext(1, { status: 429, headers: { 'retry-after': '1' } });
    expect((await o.rest.git.getRef({ owner, repo, ref: 'heads/main' })).status).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200, 429, 200]);
    expect(fake.violations).toEqual([]);
  }, 30_000);

  it('5xx replies are retried: two 502s then success; three 502s exhaust two retries', async () => {
    const o = client('tok');
    fake.failNext(2, { status: 502 }, { pathIncludes: '/git/ref/' });
    expect((await o.rest.git.getRef({ owner, repo, ref: 'heads/main' })).status).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200]);

    // A fresh client: octokit's retry plugin carries retryCount over between a client's requests.
    fake.failNext(3, { status: 502 });
    const failed = await status(client('tok').rest.pulls.list({ owner, repo }));
    expect(failed.status).toBe(502);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200, 502, 502, 502]);
    expect((await o.rest.pulls.list({ owner, repo })).status).toBe(200);
    expect(fake.violations).toEqual([]);
  }, 40_000);

  it('records requests that GitHub would not accept as violations', async () => {
    const o = client('tok');
    // A misspelt field: GitHub's description requires `content`.
    const misspelt = { owner, repo, contents: 'x' } as unknown as { owner: string; repo: string; content: string };
    const bad = await status(o.request('POST /repos/{owner}/{repo}/git/blobs', misspelt));
    expect(bad.status).toBe(422);
    const unknown = await status(o.request('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo }));
    expect(unknown.status).toBe(404);
    expect(fake.violations).toHaveLength(2);
    expect(fake.violations[0]).toMatch(/git\/create-blob.*request body.*content/);
    expect(fake.violations[1]).toMatch(/no such operation/);
  }, 20_000);

  it('check runs: create with annotations, list for the ref by name, update appends annotations, list annotations', async () => {
    const o = client('tok');
    const sha = git('rev-parse', 'driftwarden/edge');
    const note = (line: number, message: string) => ({ path: 'lb/haproxy.cfg', start_line: line, end_line: line, annotation_level: 'warning' as const, message });
    const created = await o.rest.checks.create({
      owner,
      repo,
      name: 'driftwarden/drift',
      head_sha: sha,
      status: 'in_progress',
      external_id: 'edge',
      output: { title: 'Drift found', summary: 'two lines differ', annotations: [note(1, 'maxconn changed'), note(2, 'timeout changed')] },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'driftwarden/drift', head_sha: sha, status: 'in_progress', conclusion: null, external_id: 'edge' });
    expect(created.data.output.annotations_count).toBe(2);
    await o.rest.checks.create({ owner, repo, name: 'other-check', head_sha: sha, conclusion: 'success' });

    const listed = await o.rest.checks.listForRef({ owner, repo, ref: sha, check_name: 'driftwarden/drift' });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.check_runs.map((c) => c.id)).toEqual([created.data.id]);
    expect((await o.rest.checks.listForRef({ owner, repo, ref: sha })).data.total_count).toBe(2);

    const updated = await o.rest.checks.update({
      owner,
      repo,
      check_run_id: created.data.id,
      conclusion: 'failure',
      output: { title: 'Drift found', summary: 'three lines differ', annotations: [note(3, 'server added')] },
    });
    expect(updated.data).toMatchObject({ status: 'completed', conclusion: 'failure', output: { summary: 'three lines differ', annotations_count: 3 } });
    expect(updated.data.completed_at).toBeTruthy();

    const annotations = await o.rest.checks.listAnnotations({ owner, repo, check_run_id: created.data.id });
    expect(annotations.data.map((a) => a.message)).toEqual(['maxconn changed', 'timeout changed', 'server added']);
    const firstPage = await o.rest.checks.listAnnotations({ owner, repo, check_run_id: created.data.id, per_page: 2 });
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.headers.link).toContain('rel="next"');
    expect(await o.paginate(o.rest.checks.listAnnotations, { owner, repo, check_run_id: created.data.id, per_page: 2 })).toHaveLength(3);

    const [run, other] = fake.checkRuns();
    expect(run).toMatchObject({ id: created.data.id, name: 'driftwarden/drift', head_sha: sha, status: 'completed', conclusion: 'failure', external_id: 'edge' });
    expect(run?.output.annotations_count).toBe(3);
    expect(run?.annotations.map((a) => a.start_line)).toEqual([1, 2, 3]);
    expect(other).toMatchObject({ name: 'other-check', status: 'completed', conclusion: 'success' });
    const writes = fake.requests.filter((r) => r.method !== 'GET' && r.path.includes('/check-runs'));
    expect(writes.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'POST 201', 'PATCH 200']);
    expect(fake.violations).toEqual([]);
  }, 30_000);

  it('check runs: more than 50 annotations in one request is a 422, as on GitHub, and changes nothing', async () => {
    const o = client('tok');
    const sha = git('rev-parse', 'main');
    const notes = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ path: 'lb/haproxy.cfg', start_line: i + 1, end_line: i + 1, annotation_level: 'notice' as const, message: `line ${i + 1}` }));
    const tooMany = await status(o.rest.checks.create({ owner, repo, name: 'drift', head_sha: sha, output: { title: 't', summary: 's', annotations: notes(51) } }));
    expect(tooMany.status).toBe(422);
    expect(tooMany.message).toContain('No more than 50 items are allowed; 51 were supplied.');
    expect(fake.checkRuns()).toEqual([]);

    const ok = await o.rest.checks.create({ owner, repo, name: 'drift', head_sha: sha, output: { title: 't', summary: 's', annotations: notes(50) } });
    expect(ok.data.output.annotations_count).toBe(50);
    const tooManyMore = await status(o.rest.checks.update({ owner, repo, check_run_id: ok.data.id, output: { summary: 's', annotations: notes(51) } }));
    expect(tooManyMore.status).toBe(422);
    expect(fake.checkRuns()[0]?.annotations).toHaveLength(50);

    // Both refused requests break GitHub's description (maxItems 50), so the fake flags them too.
    expect(fake.violations).toHaveLength(2);
    expect(fake.violations[0]).toMatch(/checks\/create.*annotations must NOT have more than 50 items/);
    expect(fake.violations[1]).toMatch(/checks\/update.*annotations must NOT have more than 50 items/);
    fake.violations.length = 0;
    expect(fake.violations).toEqual([]);
  }, 30_000);

  it('issue comments: create, update (body and updated_at change), list shows the one comment', async () => {
    const o = client('tok');
    await o.rest.pulls.create({ owner, repo, head: `${owner}:driftwarden/edge`, base: 'main', title: 'drift: edge' });
    const created = await o.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'first' });
    const updated = await o.rest.issues.updateComment({ owner, repo, comment_id: created.data.id, body: 'second' });
    expect(updated.status).toBe(200);
    expect(updated.data).toMatchObject({ id: created.data.id, body: 'second', created_at: created.data.created_at });
    expect(updated.data.updated_at > created.data.updated_at).toBe(true);

    const listed = await o.rest.issues.listComments({ owner, repo, issue_number: 1, per_page: 1 });
    expect(listed.data.map((c) => [c.id, c.body])).toEqual([[created.data.id, 'second']]);
    expect(listed.headers.link).toBeUndefined();
    expect(fake.comments(1)).toEqual([
      { id: created.data.id, user: 'driftwarden[bot]', body: 'second', created_at: created.data.created_at, updated_at: updated.data.updated_at },
    ]);

    expect((await status(o.rest.issues.updateComment({ owner, repo, comment_id: 42, body: 'x' }))).status).toBe(404);
    expect(fake.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([200, 404]);
    expect(fake.violations).toEqual([]);
  }, 30_000);

  it('checks response bodies against the schema, honouring nullable', () => {
    const spec = gitHubSpec();
    const op = spec.operation('git/create-commit');
    expect(spec.checkResponse(op, 201, { sha: 'x' }).join()).toMatch(/must have required property/);
    expect(spec.checkResponse(op, 200, {}).join()).toMatch(/not documented/);
    const ref = spec.operation('git/get-ref');
    expect(spec.checkResponse(ref, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })).toEqual([]);
    const verification = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
    const commit = {
      sha: 'a'.repeat(40),
      node_id: 'C_x',
      url: 'http://127.0.0.1/x',
      html_url: 'https://github.example/x',
      author: { name: 'a', email: 'a@b', date: '2024-01-01T00:00:00Z' },
      committer: { name: 'a', email: 'a@b', date: '2024-01-01T00:00:00Z' },
      tree: { sha: 'b'.repeat(40), url: 'http://127.0.0.1/t' },
      message: 'm',
      parents: [],
      verification,
    };
    expect(spec.checkResponse(op, 201, commit)).toEqual([]);
    expect(spec.checkResponse(op, 201, { ...commit, verification: { ...verification, verified: null } }).join()).toMatch(/boolean/);
    expect(spec.checkResponse(op, 201, { ...commit, author: { ...commit.author, date: 'yesterday' } }).join()).toMatch(/date-time/);
  });
});
