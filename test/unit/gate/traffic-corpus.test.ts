import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, TrafficTestError } from '../../../src/errors.js';
import { PROVIDERS } from '../../../src/providers/registry.js';
import { which } from '../../helpers/lb/ports.js';

/**
 * The traffic test's rewrite over every real-world and project corpus config: it places the
 * config on loopback, or refuses it with a TrafficTestError or a ParseError; it never crashes.
 * And what it writes can reach nothing but loopback: every listener and every server address
 * of the rewritten config is 127.0.0.1 (or ::1, or a Unix socket).
 */
const CORPORA = [join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus'), join(import.meta.dirname, '..', '..', 'fixtures', 'corpus')];
const KINDS = { haproxy: /\.cfg$/, nginx: /\.conf$/, caddy: /(Caddyfile|\.json)$/ } as const;

type Kind = keyof typeof KINDS;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|::1|localhost)$/;

/** host:port or a bare IPv4 in `token` → its host; undefined when the token is no address. */
function hostOf(token: string): string | undefined {
  const t = token.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const bracket = /^(\[[0-9a-f:]+\]):\d+$/i.exec(t);
  if (bracket) return bracket[1];
  const hostPort = /^([A-Za-z0-9.-]+):\d+$/.exec(t);
  if (hostPort) return hostPort[1];
  if (/^\d+\.\d+\.\d+\.\d+$/.test(t)) return t;
  return undefined;
}

/** Every destination or listener of a rewritten config that is not loopback. */
function escapes(kind: Kind, text: string): string[] {
  const out: string[] = [];
  if (kind === 'haproxy') {
    for (const line of text.split('\n')) {
      const words = line.trim().split(/\s+/);
      if (!['server', 'bind', 'peer', 'nameserver', 'mailer', 'dispatch'].includes(words[0] ?? '')) continue;
      // `server NAME ADDRESS ... addr CHECK-ADDRESS`; `bind ADDRESS[,ADDRESS...]`; `peer NAME ADDRESS`.
      const at = words[0] === 'bind' ? 1 : 2;
      const addresses = [...(words[at] ?? '').split(','), ...words.flatMap((w, i) => (w === 'addr' ? [words[i + 1] ?? ''] : []))];
      for (const a of addresses) {
        const host = hostOf(a) ?? (words[0] !== 'bind' && /^[A-Za-z0-9.-]+$/.test(a) ? a : undefined);
        if (host !== undefined && !LOOPBACK.test(host)) out.push(line.trim());
      }
      // A bind with only a port (":80", "*:80") listens on every interface.
      if (words[0] === 'bind' && /^(\*|)?:\d+/.test(words[1] ?? '')) out.push(line.trim());
    }
  } else if (kind === 'nginx') {
    const upstreams = new Set([...text.matchAll(/\bupstream\s+([^\s{]+)\s*\{/g)].map((m) => m[1]));
    for (const statement of text.split(/[;{}]/)) {
      const words = statement.trim().split(/\s+/);
      const [name, value = ''] = words;
      if (name === 'listen') {
        if (!/^(127\.0\.0\.1:\d+|\[::1\]:\d+|unix:)/.test(value)) out.push(statement.trim());
      } else if (name === 'server' && value !== '' || /^(proxy|grpc|fastcgi|uwsgi|scgi|memcached)_pass$/.test(name ?? '')) {
        if (value.startsWith('unix:') || value === '') continue;
        const host = hostOf(value);
        const bare = value.replace(/^[a-z]+:\/\//, '').replace(/[/:].*$/, '');
        if (host !== undefined ? !LOOPBACK.test(host) : !upstreams.has(bare) && !LOOPBACK.test(bare)) out.push(statement.trim());
      }
    }
  } else {
    const walk = (v: unknown, key: string): void => {
      if (Array.isArray(v)) for (const x of v) walk(x, key);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
      else if (typeof v === 'string' && (key === 'dial' || key === 'listen')) {
        const host = hostOf(v.replace(/^tcp\//, ''));
        if (host === undefined || !LOOPBACK.test(host)) out.push(`${key}: ${v}`);
      }
    };
    walk(JSON.parse(text), '');
  }
  return out;
}

function corpusFiles(kind: Kind): [string, string][] {
  const out: [string, string][] = [];
  for (const base of CORPORA) {
    const dir = join(base, kind);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) if (KINDS[kind].test(name)) out.push([`${base.includes('fixtures') ? 'fixtures' : 'shared'}/${kind}/${name}`, join(dir, name)]);
  }
  return out;
}

describe('the traffic test rewrite over the corpus: loopback only, or a clear refusal', () => {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const adapter = PROVIDERS[kind]?.traffic;
    for (const [label, file] of corpusFiles(kind)) {
      // A Caddyfile is adapted by `caddy adapt` first.
      it.skipIf(kind === 'caddy' && file.endsWith('Caddyfile') && !which('caddy'))(label, async () => {
        if (!adapter) throw new Error(`provider ${kind} has no traffic adapter`);
        const dir = mkdtempSync(join(tmpdir(), 'dw-rewrite-'));
        let port = 20_000;
        try {
          const plan = await adapter.rewrite({
            text: readFileSync(file, 'utf8'),
            origin: label,
            dir,
            configDir: '/etc/lb',
            target: { name: 'corpus', desired: label, provider: kind, binary: kind, adminApi: 'http://127.0.0.1:1', timeoutMs: 5_000 },
            echo: async () => port++,
            port: async () => port++,
          });
          expect(plan.config.startsWith(dir)).toBe(true);
          expect(escapes(kind, readFileSync(plan.config, 'utf8'))).toEqual([]);
          for (const f of plan.frontends) expect(f.port).toBeGreaterThanOrEqual(20_000);
        } catch (err) {
          // Anything else is a crash, and fails the test with it.
          if (!(err instanceof TrafficTestError || err instanceof ParseError)) throw err;
          expect(err.message).toMatch(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }

  it('the loopback check finds the real addresses of configs before the rewrite (it can fail)', () => {
    const fixtures = CORPORA[1] as string;
    expect(escapes('haproxy', readFileSync(join(fixtures, 'haproxy', '02-api-gateway.cfg'), 'utf8'))).toContain('bind 0.0.0.0:8080');
    expect(escapes('haproxy', 'backend b\n  server s1 127.0.0.1:80 check addr 10.1.1.1 port 81\n  server db.internal db.internal:5432\n')).toHaveLength(2);
    expect(escapes('nginx', 'upstream u { server 10.0.0.1:80; server 127.0.0.1:81; } server { listen 80; location / { proxy_pass http://u; } location /x { proxy_pass http://api.example.com; } }')).toEqual(['server 10.0.0.1:80', 'listen 80', 'proxy_pass http://api.example.com']);
    const caddy = { apps: { http: { servers: { a: { listen: [':443'], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.0.1:80' }, { dial: '127.0.0.1:81' }] }] }] } } } } };
    expect(escapes('caddy', JSON.stringify(caddy))).toEqual(['listen: :443', 'dial: 10.0.0.1:80']);
  });

  it('reads both corpora', () => {
    expect(corpusFiles('haproxy').length + corpusFiles('nginx').length + corpusFiles('caddy').length).toBeGreaterThan(60);
  });
});
