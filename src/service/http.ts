import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage, UsageError } from '../errors.js';
import type { HistoryQuery } from '../history/filter.js';
import type { Logger } from '../log/logger.js';
import type { WebhookVerdict } from './github-webhook.js';
import type { PassRequest, RequestOutcome } from './runner.js';

/** Largest request body read (GitHub sends push payloads up to 25 MB; ours are far smaller). */
const MAX_BODY = 25 * 1024 * 1024;

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean | string>;
}

/** What the endpoints need from the service; every call reads the current (reloaded) config. */
export interface HttpDeps {
  log: Logger;
  readiness(): Readiness;
  metrics(): Promise<{ contentType: string; text: string }>;
  status(): unknown;
  history(q: HistoryQuery): unknown;
  /** Validates target names (UsageError) and asks the runner. */
  reconcile(targets: string[] | undefined): { outcome: RequestOutcome; targets: string[] | 'all' };
  webhook(headers: { event?: string; signature?: string; delivery?: string }, body: string): Promise<WebhookVerdict | { kind: 'disabled'; reason: string }>;
  request(req: PassRequest): RequestOutcome;
  /** The bearer token POST /reconcile needs, `undefined` when none is needed, or `missing` (not loopback, no token set). */
  writeToken(): string | undefined | { missing: string };
}

/**
 * The service's HTTP endpoints: health, readiness, Prometheus metrics, status and history (read
 * only, all redacted), operator-triggered passes and GitHub webhooks. Errors are JSON with a
 * message that says what to do; a handler that throws answers 500 and never stops the service.
 */
export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      deps.log.error({ error: errorMessage(err), path: pathOf(req) }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the service log' } });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const get = method === 'GET' || method === 'HEAD';
  switch (url.pathname) {
    case '/healthz':
      if (!get) return methodNotAllowed(res, 'GET');
      return sendText(res, 200, 'ok\n');
    case '/readyz': {
      if (!get) return methodNotAllowed(res, 'GET');
      const r = deps.readiness();
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    case '/metrics': {
      if (!get) return methodNotAllowed(res, 'GET');
      const m = await deps.metrics();
      res.writeHead(200, { 'content-type': m.contentType }).end(m.text);
      return;
    }
    case '/status':
      if (!get) return methodNotAllowed(res, 'GET');
      return sendJson(res, 200, deps.status());
    case '/history': {
      if (!get) return methodNotAllowed(res, 'GET');
      const q: HistoryQuery = {};
      for (const key of ['target', 'type', 'since', 'limit'] as const) {
        const v = url.searchParams.get(key);
        if (v !== null) q[key] = v;
      }
      try {
        return sendJson(res, 200, deps.history(q));
      } catch (err) {
        if (err instanceof UsageError) return sendJson(res, 400, { error: { code: err.code, message: err.message } });
        throw err;
      }
    }
    case '/reconcile': {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      const denied = authorize(deps.writeToken(), req.headers.authorization);
      if (denied) return sendJson(res, denied.status, { error: { code: 'unauthorized', message: denied.message } }, denied.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      await readBody(req, 64 * 1024); // drain; targets come from the query (?target=a&target=b)
      const names = url.searchParams.getAll('target').flatMap((t) => t.split(',')).filter(Boolean);
      try {
        const r = deps.reconcile(names.length ? names : undefined);
        return sendJson(res, 202, { accepted: r.outcome !== 'skipped', outcome: r.outcome, targets: r.targets });
      } catch (err) {
        if (err instanceof UsageError) return sendJson(res, 400, { error: { code: err.code, message: err.message } });
        throw err;
      }
    }
    case '/webhooks/github': {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      const body = await readBody(req, MAX_BODY);
      if (body === null) return sendJson(res, 413, { error: { code: 'too-large', message: `body larger than ${MAX_BODY} bytes` } });
      const verdict = await deps.webhook({ event: header(req, 'x-github-event'), signature: header(req, 'x-hub-signature-256'), delivery: header(req, 'x-github-delivery') }, body);
      switch (verdict.kind) {
        case 'disabled':
          return sendJson(res, 503, { error: { code: 'not-configured', message: verdict.reason } });
        case 'unauthorized':
          deps.log.warn({ reason: verdict.reason, delivery: header(req, 'x-github-delivery') ?? null }, 'webhook refused');
          return sendJson(res, 401, { error: { code: 'unauthorized', message: verdict.reason } });
        case 'ignored':
          return sendJson(res, 202, { accepted: false, reason: verdict.reason });
        case 'pass': {
          const outcome = deps.request(verdict.request);
          deps.log.info({ detail: verdict.request.detail, targets: verdict.request.targets ?? 'all', outcome }, 'webhook asks for a pass');
          return sendJson(res, 202, { accepted: true, outcome, targets: verdict.request.targets ?? 'all' });
        }
      }
      return;
    }
    default:
      return sendJson(res, 404, { error: { code: 'not-found', message: `no endpoint ${url.pathname}; see /healthz, /readyz, /metrics, /status, /history, POST /reconcile, POST /webhooks/github` } });
  }
}

function authorize(token: ReturnType<HttpDeps['writeToken']>, header: string | undefined): { status: number; message: string } | null {
  if (token === undefined) return null;
  if (typeof token === 'object') return { status: 403, message: `write endpoints are off: the service listens beyond loopback and ${token.missing} is not set` };
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!given) return { status: 401, message: 'missing "Authorization: Bearer <token>"' };
  // Compare digests: equal length, constant time.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) ? null : { status: 401, message: 'wrong bearer token' };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The body as text, or null when it is larger than `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] as string;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${JSON.stringify(body, null, 2)}\n`);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { allow, 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify({ error: { code: 'method', message: `use ${allow}` } })}\n`);
}
