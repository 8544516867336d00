/**
 * A local stand-in for the part of GitHub's REST API that driftwarden uses: the Git data API
 * (writing real objects into a real bare repository), pull requests, their comments and labels,
 * and check runs with their annotations. Every request and response is checked against GitHub's published OpenAPI description;
 * whatever does not match lands in `violations`.
 *
 * Serves on 127.0.0.1 only. Git work is synchronous, so requests are handled one at a time.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkRun,
  errorBody,
  githubApp,
  gitRef,
  issueComment,
  label,
  pullFull,
  pullMinimal,
  pullSimple,
  timestamp,
  user,
  type CheckAnnotationRecord,
  type CheckConclusion,
  type CheckRunRecord,
  type CheckStatus,
  type CommentRecord,
  type PullContext,
  type PullRecord,
  type Site,
  HTML_BASE,
} from './factories.js';
import { BareRepo, GitError, type Identity } from './git.js';
import { gitHubSpec, type GitHubSpec, type OperationId, type OperationSpec } from './openapi.js';

export interface FakeGitHubOptions {
  /** A bare Git repository (the approved repository); the Git data API writes into it. */
  bareRepo: string;
  owner: string;
  repo: string;
  /** Accepted tokens and what they may do; any other token gets 401. */
  tokens: Record<string, 'write' | 'read'>;
  /** The login the tokens act as (author of PRs, comments and commits). Default `driftwarden[bot]`. */
  login?: string;
}

/** One request the fake served. */
export interface FakeRequest {
  method: string;
  /** The request target as sent: path and query string. */
  path: string;
  status: number;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
}

/** A reply to inject instead of the real one. A missing body becomes GitHub's error shape. */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeMatch {
  /** HTTP method, any case. */
  method?: string;
  /** A substring of the request path (raw or URL-decoded), e.g. `/pulls` or `/git/refs/heads/x`. */
  pathIncludes?: string;
}

/** An issue comment (on a pull request) as a test sees it. */
export interface FakeComment {
  id: number;
  user: string;
  body: string;
  created_at: string;
  updated_at: string;
}

/** An annotation of a check run, as GitHub stores and lists it. */
export type FakeCheckRunAnnotation = CheckAnnotationRecord;

/** A check run as a test sees it; `annotations` are all of them, in the order they were added. */
export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number };
  /** As GitHub answers it: the app's homepage when none was given. */
  details_url: string;
  external_id: string | null;
  annotations: FakeCheckRunAnnotation[];
}

/** The Checks API takes at most this many annotations in one request. */
export const MAX_ANNOTATIONS_PER_REQUEST = 50;

/** A pull request as a test sees it. */
export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  user: string;
  /** Branch names (no `refs/heads/`). */
  head: string;
  base: string;
  headSha: string;
  merged: boolean;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  labels: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  comments: FakeComment[];
}

/** GitHub's secondary-rate-limit message; `{request-id}` is replaced by the request's id. */
export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {request-id}.';

/** A 403 secondary rate limit as GitHub sends it (octokit's throttling plugin waits `retry-after`). */
export function secondaryRateLimitReply(retryAfterSeconds = 1): FakeReply {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfterSeconds) },
    body: {
      message: SECONDARY_RATE_LIMIT_MESSAGE,
      documentation_url: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403',
    },
  };
}

/** A 403 primary rate limit: remaining 0, reset `resetInSeconds` from now. */
export function primaryRateLimitReply(resetInSeconds = 1): FakeReply {
  return {
    status: 403,
    headers: {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds),
    },
    body: {
      message: 'API rate limit exceeded for installation ID 1000.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      status: '403',
    },
  };
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by handlers: becomes the reply. */
class ApiError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

interface Ctx {
  op: OperationSpec;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  url: URL;
  login: string;
}

interface Route {
  op: OperationId;
  method: string;
  /** Matches what follows `/repos/{owner}/{repo}`. */
  pattern: RegExp;
  handler: (ctx: Ctx) => Reply;
  /** GitHub's own wording for why a request that breaks the description is invalid, when known. */
  invalid?: (body: unknown) => string | undefined;
}

const RATE_LIMIT = 5000;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Requires authentication',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Validation Failed',
  429: 'Too Many Requests',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};

export class FakeGitHub {
  readonly requests: FakeRequest[] = [];
  readonly violations: string[] = [];

  private readonly git: BareRepo;
  private readonly login: string;
  private server: Server | undefined;
  private base = '';
  private spec: GitHubSpec | undefined;
  private readonly faults: { remaining: number; reply: FakeReply; match: FakeMatch }[] = [];
  private readonly pullRecords: PullRecord[] = [];
  private readonly labelColors = new Map<string, string>();
  private nextNumber = 1;
  private nextCommentId = 1_000_001;
  private readonly checkRunRecords: CheckRunRecord[] = [];
  private nextCheckRunId = 4_000_000_001;
  private rateUsed = 0;
  private readonly rateReset = Math.floor(Date.now() / 1000) + 3600;
  private readonly createdAt = timestamp(new Date(Date.now() - 86_400_000));
  private readonly routes: Route[];

  constructor(private readonly options: FakeGitHubOptions) {
    this.git = new BareRepo(options.bareRepo);
    this.login = options.login ?? 'driftwarden[bot]';
    const r = (op: OperationId, method: string, pattern: RegExp, handler: (ctx: Ctx) => Reply, invalid?: Route['invalid']): Route => ({
      op,
      method,
      pattern,
      handler,
      ...(invalid ? { invalid } : {}),
    });
    this.routes = [
      r('git/create-blob', 'POST', /^\/git\/blobs$/, (c) => this.createBlob(c)),
      r('git/create-tree', 'POST', /^\/git\/trees$/, (c) => this.createTree(c)),
      r('git/create-commit', 'POST', /^\/git\/commits$/, (c) => this.createCommit(c)),
      r('git/get-ref', 'GET', /^\/git\/ref\/(.+)$/, (c) => this.getRef(c)),
      r('git/create-ref', 'POST', /^\/git\/refs$/, (c) => this.createRef(c)),
      r('repos/create-or-update-file-contents', 'PUT', /^\/contents\/(.+)$/, (c) => this.putContents(c)),
      r('git/update-ref', 'PATCH', /^\/git\/refs\/(.+)$/, (c) => this.updateRef(c)),
      r('git/delete-ref', 'DELETE', /^\/git\/refs\/(.+)$/, (c) => this.deleteRef(c)),
      r('pulls/list', 'GET', /^\/pulls$/, (c) => this.listPulls(c)),
      r('pulls/create', 'POST', /^\/pulls$/, (c) => this.createPull(c)),
      r('pulls/get', 'GET', /^\/pulls\/(\d+)$/, (c) => this.getPull(c)),
      r('pulls/update', 'PATCH', /^\/pulls\/(\d+)$/, (c) => this.updatePull(c)),
      r('pulls/check-if-merged', 'GET', /^\/pulls\/(\d+)\/merge$/, (c) => this.checkMerged(c)),
      r('pulls/merge', 'PUT', /^\/pulls\/(\d+)\/merge$/, (c) => this.mergeViaApi(c)),
      r('pulls/request-reviewers', 'POST', /^\/pulls\/(\d+)\/requested_reviewers$/, (c) => this.requestReviewers(c)),
      r('issues/create-comment', 'POST', /^\/issues\/(\d+)\/comments$/, (c) => this.createComment(c)),
      r('issues/list-comments', 'GET', /^\/issues\/(\d+)\/comments$/, (c) => this.listComments(c)),
      r('issues/add-labels', 'POST', /^\/issues\/(\d+)\/labels$/, (c) => this.addLabels(c)),
      r('issues/list-labels-on-issue', 'GET', /^\/issues\/(\d+)\/labels$/, (c) => this.listLabels(c)),
      r('issues/update-comment', 'PATCH', /^\/issues\/comments\/(\d+)$/, (c) => this.updateComment(c)),
      r('checks/create', 'POST', /^\/check-runs$/, (c) => this.createCheckRun(c), tooManyAnnotations),
      r('checks/update', 'PATCH', /^\/check-runs\/(\d+)$/, (c) => this.updateCheckRun(c), tooManyAnnotations),
      r('checks/list-annotations', 'GET', /^\/check-runs\/(\d+)\/annotations$/, (c) => this.listAnnotations(c)),
      r('checks/list-for-ref', 'GET', /^\/commits\/(.+)\/check-runs$/, (c) => this.listCheckRunsForRef(c)),
    ];
  }

  /** Listens on 127.0.0.1 (a free port); returns the base URL to give octokit as `baseUrl`. */
  async start(): Promise<string> {
    this.spec = gitHubSpec();
    const server = createServer((req, res) => this.receive(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `count` requests that match get `reply` instead of being served. */
  failNext(count: number, reply: FakeReply, match: FakeMatch = {}): void {
    this.faults.push({ remaining: count, reply, match });
  }

  /** Snapshots of the pull requests, oldest first. */
  pulls(): FakePull[] {
    return this.pullRecords.map((p) => this.snapshot(p));
  }

  /** Snapshots of the comments on pull request `issueNumber`, oldest first. Throws when there is no such PR. */
  comments(issueNumber: number): FakeComment[] {
    const p = this.pullRecords.find((x) => x.number === issueNumber);
    if (!p) throw new Error(`no pull request #${issueNumber}`);
    return p.comments.map((c) => commentSnapshot(c));
  }

  /** Snapshots of the check runs, oldest first, each with all its annotations. */
  checkRuns(): FakeCheckRun[] {
    return this.checkRunRecords.map((c) => ({
      id: c.id,
      name: c.name,
      head_sha: c.headSha,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.startedAt,
      completed_at: c.completedAt,
      output: { ...c.output, annotations_count: c.annotations.length },
      details_url: c.detailsUrl ?? this.app.external_url,
      external_id: c.externalId,
      annotations: c.annotations.map((a) => ({ ...a })),
    }));
  }

  /**
   * Merges a pull request as a reviewer would: the base branch of the bare repository is
   * fast-forwarded to the head when it can be, else gets a merge commit. Throws when the PR is
   * not open or does not merge cleanly.
   */
  merge(number: number, login: string): FakePull {
    const p = this.pullRecords.find((x) => x.number === number);
    if (!p) throw new Error(`no pull request #${number}`);
    const outcome = this.doMerge(p, login, 'merge', undefined, undefined);
    if ('error' in outcome) throw new Error(`cannot merge #${number}: ${outcome.error}`);
    return this.snapshot(p);
  }

  /** Closes a pull request without merging, as a reviewer would. */
  close(number: number): FakePull {
    const p = this.pullRecords.find((x) => x.number === number);
    if (!p) throw new Error(`no pull request #${number}`);
    if (p.state === 'open') {
      p.state = 'closed';
      p.closedAt = p.updatedAt = timestamp();
    }
    return this.snapshot(p);
  }

  // ---------------------------------------------------------------- request plumbing

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        this.serve(req, res, Buffer.concat(chunks));
      } catch (err) {
        this.violations.push(`${req.method} ${req.url}: the fake failed: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(errorBody('Server Error', 500)));
      }
    });
  }

  private serve(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const spec = this.spec as GitHubSpec;
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const url = new URL(target, this.base);
    const requestId = [4, 4, 6, 6, 8].map((n) => randomBytes(n).toString('hex').slice(0, n).toUpperCase()).join(':');
    this.rateUsed++;
    const where = `${method} ${target}`;

    let body: unknown;
    let hasBody = false;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
        hasBody = true;
      } catch {
        badJson = true;
      }
    }

    const send = (reply: Reply, op: OperationSpec | undefined, validate: boolean): void => {
      let payload = reply.body;
      if (payload === undefined && reply.status >= 400) payload = errorBody(STATUS_TEXT[reply.status] ?? 'Error', reply.status);
      if (payload && typeof payload === 'object' && typeof (payload as { message?: unknown }).message === 'string') {
        const m = payload as { message: string };
        if (m.message.includes('{request-id}')) payload = { ...m, message: m.message.replace('{request-id}', requestId) };
      }
      if (validate && op) {
        for (const problem of spec.checkResponse(op, reply.status, payload)) this.violations.push(`${where} (${op.operationId}): ${problem}`);
      }
      const headers: Record<string, string> = {
        'x-ratelimit-limit': String(RATE_LIMIT),
        'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - this.rateUsed)),
        'x-ratelimit-reset': String(this.rateReset),
        'x-ratelimit-used': String(this.rateUsed),
        'x-ratelimit-resource': 'core',
        'x-github-request-id': requestId,
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        ...(payload !== undefined && reply.status !== 204 ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...reply.headers,
      };
      this.requests.push({ method, path: target, status: reply.status, ...(hasBody ? { body } : {}) });
      res.writeHead(reply.status, headers);
      res.end(payload !== undefined && reply.status !== 204 ? JSON.stringify(payload) : undefined);
    };

    // Which operation is this?
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    let route: Route | undefined;
    let params: string[] = [];
    if (m) {
      for (const candidate of this.routes) {
        if (candidate.method !== method) continue;
        const hit = candidate.pattern.exec(m[3] as string);
        if (hit) {
          route = candidate;
          params = hit.slice(1).map((p) => decodeURIComponent(p));
          break;
        }
      }
    }
    if (!route) {
      const known = spec.identify(method, url.pathname);
      this.violations.push(
        known ? `${where}: GitHub's ${known} is not implemented by the fake` : `${where}: no such operation in GitHub's REST API`,
      );
      return send({ status: 404, body: errorBody('Not Found', 404) }, undefined, false);
    }
    const op = spec.operation(route.op);

    // The request against the description (always: even a request that gets an injected fault).
    const problems = badJson ? ['request body is not valid JSON'] : spec.checkRequest(op, body, hasBody, url.searchParams);
    for (const problem of problems) this.violations.push(`${where} (${op.operationId}): ${problem}`);

    const fault = this.takeFault(method, target);
    if (fault) return send({ status: fault.status, body: fault.body, headers: fault.headers }, op, false);

    // Authentication and permission, as GitHub checks them before anything else.
    const auth = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!auth) return send({ status: 401, body: errorBody('Requires authentication', 401, op.docsUrl) }, op, true);
    const permission = this.options.tokens[auth[1] as string];
    if (!permission) return send({ status: 401, body: errorBody('Bad credentials', 401) }, op, true);
    if (!sameName(m?.[1], this.options.owner) || !sameName(m?.[2], this.options.repo)) {
      return send({ status: 404, body: errorBody('Not Found', 404, op.docsUrl) }, op, true);
    }
    if (permission === 'read' && method !== 'GET' && method !== 'HEAD') {
      return send(
        {
          status: 403,
          body: errorBody('Resource not accessible by integration', 403, op.docsUrl),
          headers: {
            'x-accepted-github-permissions': route.op.startsWith('git/')
              ? 'contents=write'
              : route.op.startsWith('checks/')
                ? 'checks=write'
                : 'pull_requests=write; issues=write',
          },
        },
        op,
        true,
      );
    }
    if (badJson) return send({ status: 400, body: errorBody('Problems parsing JSON', 400, op.docsUrl) }, op, true);
    if (problems.length) {
      const why = route.invalid?.(body) ?? problems.join('\n');
      return send({ status: 422, body: errorBody(`Invalid request.\n\n${why}`, 422, op.docsUrl) }, op, true);
    }

    let reply: Reply;
    try {
      reply = route.handler({ op, params, query: url.searchParams, body, url, login: this.login });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      reply = err.reply;
    }
    send(reply, op, true);
  }

  private takeFault(method: string, target: string): FakeReply | undefined {
    let decoded = target;
    try {
      decoded = decodeURIComponent(target);
    } catch {
      // keep the raw form
    }
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.match.method && fault.match.method.toUpperCase() !== method) continue;
      const inc = fault.match.pathIncludes;
      if (inc && !target.includes(inc) && !decoded.includes(inc)) continue;
      fault.remaining--;
      return fault.reply;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- shared bits

  private get site(): Site {
    return { api: this.base, owner: this.options.owner, repo: this.options.repo };
  }

  private get apiRepo(): string {
    return `${this.base}/repos/${this.options.owner}/${this.options.repo}`;
  }

  private get pullContext(): PullContext {
    return { defaultBranch: this.git.defaultBranch(), repoCreatedAt: this.createdAt, labelColor: (n) => this.labelColors.get(n) ?? 'ededed' };
  }

  private fail(status: number, message: string, ctx: Ctx, errors?: unknown[]): never {
    throw new ApiError({ status, body: errorBody(message, status, ctx.op.docsUrl, errors) });
  }

  private notFound(ctx: Ctx): never {
    this.fail(404, 'Not Found', ctx);
  }

  private identity(login: string, date?: string): Identity {
    return { name: login, email: `${user(this.site, login).id}+${login}@users.noreply.github.example`, date: date ?? timestamp() };
  }

  private pull(ctx: Ctx, index = 0): PullRecord {
    const n = Number(ctx.params[index]);
    return this.pullRecords.find((p) => p.number === n) ?? this.notFound(ctx);
  }

  /** Brings an open PR's head and base shas up to date with the branches. */
  private refresh(p: PullRecord): PullRecord {
    if (p.state === 'open') {
      p.headSha = this.git.branchSha(p.head) ?? p.headSha;
      p.baseSha = this.git.branchSha(p.base) ?? p.baseSha;
    }
    return p;
  }

  private snapshot(p: PullRecord): FakePull {
    this.refresh(p);
    return {
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      user: p.user,
      head: p.head,
      base: p.base,
      headSha: p.headSha,
      merged: p.merged,
      mergedBy: p.mergedBy,
      mergeCommitSha: p.mergeCommitSha,
      labels: [...p.labels],
      requestedReviewers: [...p.requestedReviewers],
      requestedTeams: [...p.requestedTeams],
      comments: p.comments.map((c) => commentSnapshot(c)),
    };
  }

  private paginate<T>(ctx: Ctx, items: T[]): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page')) || 30));
    const page = Math.max(1, Number(ctx.query.get('page')) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string): string => {
      const q = new URLSearchParams(ctx.query);
      q.set('page', String(n));
      return `<${this.base}${ctx.url.pathname}?${q.toString()}>; rel="${rel}"`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(link(Math.min(page - 1, last), 'prev'));
    if (page < last) rels.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) rels.push(link(1, 'first'));
    return { items: items.slice((page - 1) * perPage, page * perPage), headers: rels.length ? { link: rels.join(', ') } : {} };
  }

  private mergeable(p: PullRecord): boolean | null {
    if (p.state !== 'open') return null;
    const head = this.git.branchSha(p.head);
    const base = this.git.branchSha(p.base);
    if (!head || !base) return null;
    return this.git.isAncestor(base, head) || this.git.mergeTree(base, head) !== null;
  }

  // ---------------------------------------------------------------- Git data API

  private createBlob(ctx: Ctx): Reply {
    const { content, encoding = 'utf-8' } = ctx.body as { content: string; encoding?: string };
    let data: Buffer;
    if (encoding === 'utf-8' || encoding === 'utf8') data = Buffer.from(content, 'utf8');
    else if (encoding === 'base64') data = Buffer.from(content, 'base64');
    else this.fail(422, `encoding must be either 'utf-8' or 'base64'`, ctx, [{ resource: 'Blob', field: 'encoding', code: 'invalid' }]);
    const sha = this.git.writeBlob(data);
    const url = `${this.apiRepo}/git/blobs/${sha}`;
    return { status: 201, body: { sha, url }, headers: { location: url } };
  }

  private createTree(ctx: Ctx): Reply {
    const { tree, base_tree } = ctx.body as {
      tree: { path?: string; mode?: string; type?: string; sha?: string | null; content?: string }[];
      base_tree?: string;
    };
    if (base_tree !== undefined && this.git.objectType(base_tree) !== 'tree') {
      // GitHub accepts a commit here too and uses its tree.
      if (this.git.objectType(base_tree) !== 'commit') this.fail(422, 'base_tree is not a valid tree oid', ctx);
    }
    const expectedType: Record<string, string> = { '100644': 'blob', '100755': 'blob', '120000': 'blob', '040000': 'tree', '160000': 'commit' };
    const changes = tree.map((entry, index) => {
      const { path, mode, type } = entry;
      if (!path || !mode || !type) this.fail(422, `tree.${!path ? 'path' : !mode ? 'mode' : 'type'} is required`, ctx, [{ resource: 'Tree', field: 'tree', code: 'missing_field', index }]);
      if (path.split('/').some((part) => part === '' || part === '.' || part === '..' || part.toLowerCase() === '.git')) {
        this.fail(422, `tree.path contains a malformed path component`, ctx, [{ resource: 'Tree', field: 'path', code: 'invalid', index }]);
      }
      if (expectedType[mode] !== type) this.fail(422, `tree.mode ${mode} does not match tree.type ${type}`, ctx);
      const hasSha = 'sha' in entry;
      if (hasSha === (entry.content !== undefined)) {
        this.fail(422, 'Must supply tree.sha or tree.content. Request will be rejected if both are present.', ctx);
      }
      if (entry.content !== undefined) {
        if (type !== 'blob') this.fail(422, 'tree.content can only be given for a blob', ctx);
        return { path, mode, type, sha: this.git.writeBlob(Buffer.from(entry.content, 'utf8')) };
      }
      const sha = entry.sha ?? null;
      if (sha !== null && type !== 'commit' && this.git.objectType(sha) !== type) this.fail(422, `tree.sha ${sha} is not a valid ${type}`, ctx);
      return { path, mode, type, sha };
    });
    let sha: string;
    try {
      sha = this.git.buildTree(base_tree ?? null, changes);
    } catch (err) {
      if (err instanceof GitError) this.fail(422, 'Invalid tree info', ctx);
      throw err;
    }
    const url = `${this.apiRepo}/git/trees/${sha}`;
    return {
      status: 201,
      headers: { location: url },
      body: {
        sha,
        url,
        truncated: false,
        tree: this.git.lsTree(sha).map((e) => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.size !== undefined ? { size: e.size } : {}),
          url: `${this.apiRepo}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
        })),
      },
    };
  }

  private createCommit(ctx: Ctx): Reply {
    const input = ctx.body as {
      message: string;
      tree: string;
      parents?: string[];
      author?: { name: string; email: string; date?: string };
      committer?: { name?: string; email?: string; date?: string };
    };
    if (this.git.objectType(input.tree) !== 'tree') this.fail(422, 'Tree SHA does not exist', ctx);
    const parents = input.parents ?? [];
    for (const parent of parents) {
      if (this.git.objectType(parent) !== 'commit') this.fail(422, 'Parent SHA does not exist or is not a commit object', ctx);
    }
    const now = timestamp();
    const norm = (date: string | undefined): string => (date ? timestamp(new Date(date)) : now);
    const author: Identity = input.author
      ? { name: input.author.name, email: input.author.email, date: norm(input.author.date) }
      : this.identity(ctx.login, now);
    // GitHub: the committer defaults to the author.
    const committer: Identity = {
      name: input.committer?.name ?? author.name,
      email: input.committer?.email ?? author.email,
      date: input.committer?.date ? norm(input.committer.date) : author.date,
    };
    const gitDate = (iso: string) => `${Math.floor(Date.parse(iso) / 1000)} +0000`;
    const sha = this.git.commitTree(input.tree, parents, input.message, { ...author, date: gitDate(author.date) }, { ...committer, date: gitDate(committer.date) });
    const url = `${this.apiRepo}/git/commits/${sha}`;
    const htmlRepo = `${HTML_BASE}/${this.options.owner}/${this.options.repo}`;
    return {
      status: 201,
      headers: { location: url },
      body: {
        sha,
        node_id: `C_kw${Buffer.from(sha).toString('base64url').slice(0, 24)}`,
        url,
        html_url: `${htmlRepo}/commit/${sha}`,
        author,
        committer,
        message: input.message,
        tree: { sha: input.tree, url: `${this.apiRepo}/git/trees/${input.tree}` },
        parents: parents.map((p) => ({ sha: p, url: `${this.apiRepo}/git/commits/${p}`, html_url: `${htmlRepo}/commit/${p}` })),
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
    };
  }

  /** PUT /contents/{path}: one commit of one file on a branch (GitHub checks `sha` against the file's blob). */
  private putContents(ctx: Ctx): Reply {
    const path = decodeURIComponent(ctx.params[0] ?? '');
    const input = ctx.body as { message: string; content: string; sha?: string; branch?: string };
    const branch = input.branch ?? this.git.defaultBranch();
    const head = this.git.branchSha(branch) ?? this.fail(404, `Branch ${branch} not found`, ctx);
    const existing = this.git.tryGit(['rev-parse', '--verify', '--quiet', `${head}:${path}`])?.trim() || null;
    if (existing && !input.sha) this.fail(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', ctx);
    if (existing && input.sha !== existing) this.fail(409, `${path} does not match ${input.sha}`, ctx);
    const blob = this.git.writeBlob(Buffer.from(input.content, 'base64'));
    const tree = this.git.buildTree((this.git.tryGit(['rev-parse', `${head}^{tree}`]) ?? '').trim(), [{ path, mode: '100644', type: 'blob', sha: blob }]);
    const now = timestamp();
    const me = this.identity(ctx.login, now);
    const gitDate = `${Math.floor(Date.parse(now) / 1000)} +0000`;
    const sha = this.git.commitTree(tree, [head], input.message, { ...me, date: gitDate }, { ...me, date: gitDate });
    this.git.updateRef(`refs/heads/${branch}`, sha, head);
    const htmlRepo = `${HTML_BASE}/${this.options.owner}/${this.options.repo}`;
    return {
      status: existing ? 200 : 201,
      body: {
        content: {
          name: path.split('/').pop() ?? path,
          path,
          sha: blob,
          size: Buffer.from(input.content, 'base64').length,
          url: `${this.apiRepo}/contents/${path}?ref=${branch}`,
          html_url: `${htmlRepo}/blob/${branch}/${path}`,
          git_url: `${this.apiRepo}/git/blobs/${blob}`,
          download_url: `${htmlRepo}/raw/${branch}/${path}`,
          type: 'file',
          _links: { self: `${this.apiRepo}/contents/${path}?ref=${branch}`, git: `${this.apiRepo}/git/blobs/${blob}`, html: `${htmlRepo}/blob/${branch}/${path}` },
        },
        commit: {
          sha,
          node_id: `C_kw${Buffer.from(sha).toString('base64url').slice(0, 24)}`,
          url: `${this.apiRepo}/git/commits/${sha}`,
          html_url: `${htmlRepo}/commit/${sha}`,
          author: me,
          committer: me,
          message: input.message,
          tree: { url: `${this.apiRepo}/git/trees/${tree}`, sha: tree },
          parents: [{ url: `${this.apiRepo}/git/commits/${head}`, html_url: `${htmlRepo}/commit/${head}`, sha: head }],
          verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
        },
      },
    };
  }

  private refReply(ctx: Ctx, ref: string, status: number): Reply {
    const sha = this.git.resolveRef(ref) ?? this.notFound(ctx);
    const body = gitRef(this.site, ref, sha, this.git.objectType(sha) ?? 'commit');
    return { status, body, ...(status === 201 ? { headers: { location: body.url } } : {}) };
  }

  private getRef(ctx: Ctx): Reply {
    const ref = `refs/${ctx.params[0] ?? ''}`;
    if (!this.git.resolveRef(ref)) this.notFound(ctx);
    return this.refReply(ctx, ref, 200);
  }

  private createRef(ctx: Ctx): Reply {
    const { ref, sha } = ctx.body as { ref: string; sha: string };
    if (!ref.startsWith('refs/') || ref.split('/').length < 3 || this.git.tryGit(['check-ref-format', ref]) === null) {
      this.fail(422, `${ref} is not a valid ref name.`, ctx);
    }
    if (this.git.resolveRef(ref)) this.fail(422, 'Reference already exists', ctx);
    if (!this.git.objectType(sha)) this.fail(422, 'Object does not exist', ctx);
    this.git.updateRef(ref, sha, null);
    return this.refReply(ctx, ref, 201);
  }

  private updateRef(ctx: Ctx): Reply {
    const ref = `refs/${ctx.params[0] ?? ''}`;
    const { sha, force = false } = ctx.body as { sha: string; force?: boolean };
    const current = this.git.resolveRef(ref);
    if (!current) this.fail(422, 'Reference does not exist', ctx);
    if (!this.git.objectType(sha)) this.fail(422, 'Object does not exist', ctx);
    if (!force && current !== sha && !this.git.isAncestor(current, sha)) this.fail(422, 'Update is not a fast forward', ctx);
    this.git.updateRef(ref, sha, current);
    return this.refReply(ctx, ref, 200);
  }

  private deleteRef(ctx: Ctx): Reply {
    const ref = `refs/${ctx.params[0] ?? ''}`;
    const current = this.git.resolveRef(ref);
    if (!current) this.fail(422, 'Reference does not exist', ctx);
    if (ref === `refs/heads/${this.git.defaultBranch()}`) this.fail(422, 'Cannot delete the default branch', ctx);
    this.git.deleteRef(ref, current);
    // GitHub closes the open pull requests whose head branch goes away.
    const branch = ref.replace(/^refs\/heads\//, '');
    for (const p of this.pullRecords) {
      if (p.state === 'open' && p.head === branch) {
        p.state = 'closed';
        p.closedAt = p.updatedAt = timestamp();
      }
    }
    return { status: 204 };
  }

  // ---------------------------------------------------------------- pull requests

  /** `owner:branch` or `branch` to a branch of this repository, or null for another owner. */
  private headBranch(head: string): string | null {
    const colon = head.indexOf(':');
    if (colon < 0) return head;
    return sameName(head.slice(0, colon), this.options.owner) ? head.slice(colon + 1) : null;
  }

  private listPulls(ctx: Ctx): Reply {
    const state = ctx.query.get('state') ?? 'open';
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    const sort = ctx.query.get('sort') ?? 'created';
    const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
    // Like GitHub, a `head` without `owner:` is ignored rather than matched as a branch name.
    const headBranch = head && head.includes(':') ? this.headBranch(head) : undefined;
    let items = this.pullRecords.filter(
      (p) =>
        (state === 'all' || p.state === state) &&
        (headBranch === undefined || p.head === headBranch) &&
        (base === null || p.base === base),
    );
    const key = (p: PullRecord) => (sort === 'updated' ? p.updatedAt : p.createdAt);
    items = [...items].sort((a, b) => {
      const d = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number;
      return direction === 'asc' ? d : -d;
    });
    const page = this.paginate(ctx, items);
    return { status: 200, headers: page.headers, body: page.items.map((p) => pullSimple(this.site, this.pullContext, this.refresh(p))) };
  }

  private createPull(ctx: Ctx): Reply {
    const input = ctx.body as { title?: string; head: string; base: string; body?: string; draft?: boolean; issue?: number };
    if (input.issue !== undefined) this.fail(422, 'Converting issues to pull requests is not supported by the fake', ctx);
    if (input.title === undefined) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const head = this.headBranch(input.head);
    const headSha = head === null ? null : this.git.branchSha(head);
    if (head === null || !headSha) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const baseSha = this.git.branchSha(input.base);
    if (!baseSha) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    if (this.pullRecords.some((p) => p.state === 'open' && p.head === head && p.base === input.base)) {
      this.fail(422, 'Validation Failed', ctx, [
        { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.options.owner}:${head}.` },
      ]);
    }
    if (this.git.isAncestor(headSha, baseSha)) {
      this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${input.base} and ${head}` }]);
    }
    const now = timestamp();
    const number = this.nextNumber++;
    const record: PullRecord = {
      id: 2_000_000_000 + number,
      number,
      state: 'open',
      title: input.title,
      body: input.body ?? null,
      user: ctx.login,
      head,
      headSha,
      base: input.base,
      baseSha,
      draft: input.draft ?? false,
      merged: false,
      mergedBy: null,
      mergedAt: null,
      mergeCommitSha: null,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
      labels: [],
      requestedReviewers: [],
      requestedTeams: [],
      comments: [],
    };
    this.pullRecords.push(record);
    const body = pullFull(this.site, this.pullContext, record, this.mergeable(record));
    return { status: 201, headers: { location: body.url }, body };
  }

  private getPull(ctx: Ctx): Reply {
    const p = this.refresh(this.pull(ctx));
    return { status: 200, body: pullFull(this.site, this.pullContext, p, this.mergeable(p)) };
  }

  private updatePull(ctx: Ctx): Reply {
    const p = this.refresh(this.pull(ctx));
    const input = ctx.body as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string } | undefined;
    if (input?.base !== undefined && input.base !== p.base) {
      if (!this.git.branchSha(input.base)) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      if (p.merged) this.fail(422, 'Cannot change the base branch of a merged pull request', ctx);
      p.base = input.base;
    }
    if (input?.state === 'open' && p.state === 'closed') {
      if (p.merged) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The pull request has been merged.' }]);
      if (!this.git.branchSha(p.head)) this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', code: 'custom', message: 'state cannot be changed. The head branch was deleted.' }]);
      if (this.pullRecords.some((o) => o !== p && o.state === 'open' && o.head === p.head && o.base === p.base)) {
        this.fail(422, 'Validation Failed', ctx, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.options.owner}:${p.head}.` }]);
      }
      p.state = 'open';
      p.closedAt = null;
    } else if (input?.state === 'closed' && p.state === 'open') {
      p.state = 'closed';
      p.closedAt = timestamp();
    }
    if (input?.title !== undefined) p.title = input.title;
    if (input?.body !== undefined) p.body = input.body;
    p.updatedAt = timestamp();
    this.refresh(p);
    return { status: 200, body: pullFull(this.site, this.pullContext, p, this.mergeable(p)) };
  }

  private checkMerged(ctx: Ctx): Reply {
    const p = this.pull(ctx);
    return p.merged ? { status: 204 } : { status: 404, body: errorBody('Not Found', 404, ctx.op.docsUrl) };
  }

  private mergeViaApi(ctx: Ctx): Reply {
    const p = this.refresh(this.pull(ctx));
    const input = (ctx.body ?? {}) as { commit_title?: string; commit_message?: string; sha?: string; merge_method?: 'merge' | 'squash' | 'rebase' };
    if (p.state !== 'open') this.fail(405, 'Pull Request is not mergeable', ctx);
    if (input.sha !== undefined && input.sha !== p.headSha) this.fail(409, 'Head branch was modified. Review and try the merge again.', ctx);
    const outcome = this.doMerge(p, ctx.login, input.merge_method ?? 'merge', input.commit_title, input.commit_message);
    if ('error' in outcome) this.fail(405, outcome.error, ctx);
    return { status: 200, body: { sha: outcome.sha, merged: true, message: 'Pull Request successfully merged' } };
  }

  /** Moves the base branch: fast-forward when possible, else a merge (or squash) commit. */
  private doMerge(p: PullRecord, login: string, method: 'merge' | 'squash' | 'rebase', title: string | undefined, message: string | undefined): { sha: string } | { error: string } {
    this.refresh(p);
    if (p.state !== 'open') return { error: 'Pull Request is not mergeable' };
    const head = this.git.branchSha(p.head);
    const base = this.git.branchSha(p.base);
    if (!head || !base) return { error: 'Pull Request is not mergeable' };
    const ff = this.git.isAncestor(base, head);
    let sha: string;
    const me = this.identity(login);
    const gh: Identity = { name: 'GitHub', email: 'noreply@github.example', date: me.date };
    if (method === 'rebase' || (method === 'merge' && ff)) {
      if (!ff) return { error: 'This branch cannot be rebased' };
      sha = head;
    } else {
      const tree = ff ? this.git.treeOf(head) : this.git.mergeTree(base, head);
      if (tree === null) return { error: 'Pull Request is not mergeable' };
      const text =
        method === 'squash'
          ? `${title ?? `${p.title} (#${p.number})`}${message ? `\n\n${message}` : ''}\n`
          : `${title ?? `Merge pull request #${p.number} from ${this.options.owner}/${p.head}`}\n\n${message ?? p.title}\n`;
      sha = this.git.commitTree(tree, method === 'squash' ? [base] : [base, head], text, me, gh);
    }
    this.git.updateRef(`refs/heads/${p.base}`, sha, base);
    const now = timestamp();
    Object.assign(p, {
      state: 'closed',
      merged: true,
      mergedBy: login,
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: sha,
      headSha: head,
      baseSha: base,
    } satisfies Partial<PullRecord>);
    return { sha };
  }

  private requestReviewers(ctx: Ctx): Reply {
    const p = this.refresh(this.pull(ctx));
    const input = ctx.body as { reviewers?: string[]; team_reviewers?: string[] };
    const reviewers = input.reviewers ?? [];
    if (reviewers.some((r) => sameName(r, p.user))) this.fail(422, 'Review cannot be requested from pull request author.', ctx);
    for (const r of reviewers) if (!p.requestedReviewers.includes(r)) p.requestedReviewers.push(r);
    for (const t of input.team_reviewers ?? []) if (!p.requestedTeams.includes(t)) p.requestedTeams.push(t);
    p.updatedAt = timestamp();
    return { status: 201, body: pullSimple(this.site, this.pullContext, p) };
  }

  // ---------------------------------------------------------------- issues (a PR is an issue)

  private createComment(ctx: Ctx): Reply {
    const p = this.pull(ctx);
    const { body } = ctx.body as { body: string };
    const now = timestamp();
    const comment: CommentRecord = { id: this.nextCommentId++, body, user: ctx.login, createdAt: now, updatedAt: now };
    p.comments.push(comment);
    p.updatedAt = now;
    const out = issueComment(this.site, p.number, comment);
    return { status: 201, headers: { location: out.url }, body: out };
  }

  private listComments(ctx: Ctx): Reply {
    const p = this.pull(ctx);
    const since = ctx.query.get('since');
    const items = since ? p.comments.filter((c) => c.updatedAt >= timestamp(new Date(since))) : p.comments;
    const page = this.paginate(ctx, items);
    return { status: 200, headers: page.headers, body: page.items.map((c) => issueComment(this.site, p.number, c)) };
  }

  private updateComment(ctx: Ctx): Reply {
    const id = Number(ctx.params[0]);
    let found: { p: PullRecord; c: CommentRecord } | undefined;
    for (const p of this.pullRecords) {
      const c = p.comments.find((x) => x.id === id);
      if (c) found = { p, c };
    }
    if (!found) this.notFound(ctx);
    const { p, c } = found;
    c.body = (ctx.body as { body: string }).body;
    // Timestamps are to the second: an edit within the second of the last one still moves updated_at.
    const now = timestamp();
    c.updatedAt = now > c.updatedAt ? now : timestamp(new Date(Date.parse(c.updatedAt) + 1000));
    return { status: 200, body: issueComment(this.site, p.number, c) };
  }

  private addLabels(ctx: Ctx): Reply {
    const p = this.pull(ctx);
    const raw = ctx.body as { labels?: (string | { name: string })[] } | (string | { name: string })[] | undefined;
    const list = Array.isArray(raw) ? raw : (raw?.labels ?? []);
    if (list.length === 0) this.fail(422, 'Validation Failed', ctx, [{ resource: 'Label', field: 'labels', code: 'missing_field' }]);
    for (const item of list) {
      const name = typeof item === 'string' ? item : item.name;
      // GitHub creates a label that the repository does not have yet.
      if (!this.labelColors.has(name)) this.labelColors.set(name, 'ededed');
      if (!p.labels.includes(name)) p.labels.push(name);
    }
    p.updatedAt = timestamp();
    return { status: 200, body: p.labels.map((n) => label(this.site, n, this.labelColors.get(n) ?? 'ededed')) };
  }

  private listLabels(ctx: Ctx): Reply {
    const p = this.pull(ctx);
    const page = this.paginate(ctx, p.labels);
    return { status: 200, headers: page.headers, body: page.items.map((n) => label(this.site, n, this.labelColors.get(n) ?? 'ededed')) };
  }

  // ---------------------------------------------------------------- check runs

  /** The GitHub App the token acts as (the app of the check runs). */
  private get app() {
    return githubApp(this.site, this.login, this.createdAt);
  }

  private checkRunReply(c: CheckRunRecord) {
    // GitHub lists the open pull requests whose head is the checked commit.
    const pulls = this.pullRecords.filter((p) => p.state === 'open' && this.refresh(p).headSha === c.headSha);
    return checkRun(this.site, c, this.app, pulls.map((p) => pullMinimal(this.site, p)));
  }

  private checkRunRecord(ctx: Ctx): CheckRunRecord {
    const id = Number(ctx.params[0]);
    return this.checkRunRecords.find((c) => c.id === id) ?? this.notFound(ctx);
  }

  /** The annotations of a request, as GitHub stores them (at most 50 in one request). */
  private annotationsFrom(ctx: Ctx, headSha: string, output: CheckRunInput['output']): CheckAnnotationRecord[] {
    const why = tooManyAnnotations(ctx.body);
    if (why) this.fail(422, `Invalid request.\n\n${why}`, ctx);
    return (output?.annotations ?? []).map((a) => ({
      path: a.path,
      blob_href: `${HTML_BASE}/${this.options.owner}/${this.options.repo}/blob/${headSha}/${a.path}`,
      start_line: a.start_line,
      end_line: a.end_line,
      start_column: a.start_column ?? null,
      end_column: a.end_column ?? null,
      annotation_level: a.annotation_level,
      title: a.title ?? null,
      message: a.message,
      raw_details: a.raw_details ?? null,
    }));
  }

  /**
   * Status, conclusion and completed_at as GitHub works them out: a conclusion completes the run;
   * `completed` (or a completed_at) without a conclusion is refused; only GitHub sets `stale`.
   */
  private settle(ctx: Ctx, c: CheckRunRecord, input: CheckRunInput, now: string): void {
    if (input.conclusion === 'stale') this.fail(422, 'Invalid request.\n\nThe conclusion "stale" can only be set by GitHub.', ctx);
    if (input.conclusion !== undefined) {
      c.conclusion = input.conclusion;
      c.status = 'completed';
      c.completedAt = input.completed_at ? timestamp(new Date(input.completed_at)) : now;
      return;
    }
    if (input.status === 'completed' || input.completed_at !== undefined) {
      if (c.conclusion === null) this.fail(422, `Invalid request.\n\n"conclusion" wasn't supplied.`, ctx);
      c.status = 'completed';
      if (input.completed_at !== undefined) c.completedAt = timestamp(new Date(input.completed_at));
      return;
    }
    if (input.status === 'queued' || input.status === 'in_progress') {
      c.status = input.status;
      c.conclusion = null;
      c.completedAt = null;
    }
  }

  private createCheckRun(ctx: Ctx): Reply {
    const input = ctx.body as CheckRunInput & { name: string; head_sha: string };
    if (this.git.objectType(input.head_sha) !== 'commit') this.fail(422, `No commit found for SHA: ${input.head_sha}`, ctx);
    const now = timestamp();
    const annotations = this.annotationsFrom(ctx, input.head_sha, input.output);
    const c: CheckRunRecord = {
      id: this.nextCheckRunId,
      name: input.name,
      headSha: input.head_sha,
      status: 'queued',
      conclusion: null,
      startedAt: input.started_at ? timestamp(new Date(input.started_at)) : now,
      completedAt: null,
      detailsUrl: input.details_url ?? null,
      externalId: input.external_id ?? null,
      output: { title: input.output?.title ?? null, summary: input.output?.summary ?? null, text: input.output?.text ?? null },
      annotations,
    };
    this.settle(ctx, c, { ...input, status: input.status ?? 'queued' }, now);
    this.nextCheckRunId++;
    this.checkRunRecords.push(c);
    const body = this.checkRunReply(c);
    return { status: 201, headers: { location: body.url }, body };
  }

  private updateCheckRun(ctx: Ctx): Reply {
    const c = this.checkRunRecord(ctx);
    const input = ctx.body as CheckRunInput;
    const now = timestamp();
    // Everything is checked before anything changes: a refused update leaves the run as it was.
    const added = this.annotationsFrom(ctx, c.headSha, input.output);
    const next: CheckRunRecord = { ...c, output: { ...c.output } };
    this.settle(ctx, next, input, now);
    if (input.name !== undefined) next.name = input.name;
    if (input.details_url !== undefined) next.detailsUrl = input.details_url;
    if (input.external_id !== undefined) next.externalId = input.external_id;
    if (input.started_at !== undefined) next.startedAt = timestamp(new Date(input.started_at));
    if (input.output) {
      if (input.output.title !== undefined) next.output.title = input.output.title;
      if (input.output.summary !== undefined) next.output.summary = input.output.summary;
      if (input.output.text !== undefined) next.output.text = input.output.text;
    }
    // GitHub appends the annotations of each update to those the run already has.
    Object.assign(c, next, { annotations: [...c.annotations, ...added] });
    return { status: 200, body: this.checkRunReply(c) };
  }

  private listAnnotations(ctx: Ctx): Reply {
    const c = this.checkRunRecord(ctx);
    const page = this.paginate(ctx, c.annotations);
    return { status: 200, headers: page.headers, body: page.items };
  }

  /** A commit SHA, or a branch or tag (`heads/x`, `tags/v1`, or a bare name), to the commit it names. */
  private commitFor(ref: string): string | null {
    if (/^[0-9a-f]{40}$/i.test(ref)) return this.git.objectType(ref.toLowerCase()) === 'commit' ? ref.toLowerCase() : null;
    for (const full of [`refs/${ref}`, `refs/heads/${ref}`, `refs/tags/${ref}`]) {
      if (!this.git.resolveRef(full)) continue;
      const sha = this.git.tryGit(['rev-parse', '--verify', '--quiet', `${full}^{commit}`]);
      if (sha) return sha.trim();
    }
    return null;
  }

  private listCheckRunsForRef(ctx: Ctx): Reply {
    const ref = ctx.params[0] ?? '';
    const sha = this.commitFor(ref) ?? this.fail(422, `No commit found for SHA: ${ref}`, ctx);
    const name = ctx.query.get('check_name');
    const status = ctx.query.get('status');
    const appId = ctx.query.get('app_id');
    const filter = ctx.query.get('filter') ?? 'latest';
    // Newest first, as GitHub lists them.
    let runs = this.checkRunRecords
      .filter(
        (c) =>
          c.headSha === sha &&
          (name === null || c.name === name) &&
          (status === null || c.status === status) &&
          (appId === null || Number(appId) === this.app.id),
      )
      .reverse();
    // `latest` (the default): only the most recent run of each name.
    if (filter === 'latest') runs = runs.filter((c, i) => runs.findIndex((o) => o.name === c.name) === i);
    const page = this.paginate(ctx, runs);
    return { status: 200, headers: page.headers, body: { total_count: runs.length, check_runs: page.items.map((c) => this.checkRunReply(c)) } };
  }
}

/** What checks/create and checks/update take (as far as the fake keeps it). */
interface CheckRunInput {
  name?: string;
  details_url?: string;
  external_id?: string;
  status?: CheckStatus | 'waiting' | 'requested' | 'pending';
  started_at?: string;
  conclusion?: CheckConclusion | 'stale';
  completed_at?: string;
  output?: {
    title?: string;
    summary?: string;
    text?: string;
    annotations?: {
      path: string;
      start_line: number;
      end_line: number;
      start_column?: number;
      end_column?: number;
      annotation_level: 'notice' | 'warning' | 'failure';
      message: string;
      title?: string;
      raw_details?: string;
    }[];
  };
}

/** GitHub's message for more annotations in one request than the Checks API takes. */
function tooManyAnnotations(body: unknown): string | undefined {
  const list = (body as CheckRunInput | undefined)?.output?.annotations;
  if (!Array.isArray(list) || list.length <= MAX_ANNOTATIONS_PER_REQUEST) return undefined;
  return `No more than ${MAX_ANNOTATIONS_PER_REQUEST} items are allowed; ${list.length} were supplied.`;
}

function commentSnapshot(c: CommentRecord): FakeComment {
  return { id: c.id, user: c.user, body: c.body, created_at: c.createdAt, updated_at: c.updatedAt };
}

function sameName(a: string | undefined, b: string): boolean {
  return a !== undefined && decodeURIComponent(a).toLowerCase() === b.toLowerCase();
}
