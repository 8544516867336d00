import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { lexHaproxy } from '../../../src/providers/haproxy/lexer.js';
import { parseHaproxy } from '../../../src/providers/haproxy/model.js';

const cfg = `global
    log stdout format raw local0
defaults base
    mode http
    balance leastconn
    timeout server 30s
frontend web
    bind :80
    bind 127.0.0.1:8080   # admin
    acl is_api path_beg /api
    http-request deny if { src 10.0.0.0/8 }
    use_backend api if is_api
    default_backend static
backend api from base
    option httpchk GET /health
    default-server inter 2s weight 5
    server a 10.0.0.1:80 check
    server b 10.0.0.2:80 weight 0 backup
    http-response set-header X-Name "a \\"quoted\\" value"
backend static
    balance first
    server s2 10.0.1.2:80
    server s1 10.0.1.1:80 disabled
`;

describe('HAProxy model', () => {
  const tree = parseHaproxy(cfg, 'h.cfg');
  const root = tree.root as any;

  it('inherits the algorithm and mode from the defaults section the backend uses', () => {
    expect(root.backends.api).toMatchObject({ algorithm: 'leastconn', mode: 'http' });
    expect(root.backends.static.algorithm).toBe('first');
  });

  it('applies default-server settings to servers, and keeps server order only for balance first', () => {
    expect(root.backends.api.servers.a).toEqual({ address: '10.0.0.1:80', weight: 5, backup: false, disabled: false, check: true, health: { inter: '2s' } });
    expect(root.backends.api.servers.b).toMatchObject({ weight: 0, backup: true });
    expect(root.backends.static.server_order).toEqual(['s2', 's1']);
    expect(root.backends.api.server_order).toBeUndefined();
  });

  it('expands server-template into the servers the running process names, and rejects a bad count with its line', () => {
    const cfg = 'backend api\n    balance roundrobin\n    server-template app 3 api.internal:8080 check weight 5\n    server-template web 4-5 10.0.0.9:80\n';
    const servers = (parseHaproxy(cfg, 'x.cfg').root as any).backends.api.servers;
    expect(Object.keys(servers)).toEqual(['app1', 'app2', 'app3', 'web4', 'web5']);
    expect(servers.app2).toMatchObject({ address: 'api.internal:8080', weight: 5, check: true });
    expect(() => parseHaproxy('backend api\n    server-template app x api:80\n', 'x.cfg')).toThrow(/x\.cfg:2: server-template count "?x"? is not a number/);
    expect(() => parseHaproxy('backend api\n    server-template app 5-2 api:80\n', 'x.cfg')).toThrow(ParseError);
    expect(() => parseHaproxy('backend api\n    server-template app 1-99999 api:80\n', 'x.cfg')).toThrow(/at most 10,000/);
  });

  it('keeps ordered rules in order and unquotes arguments', () => {
    expect(root.frontends.web.rules).toEqual(['http-request deny if { src 10.0.0.0/8 }', 'use_backend api if is_api']);
    expect(root.backends.api.rules).toEqual(['http-response set-header X-Name a "quoted" value']);
    expect(root.frontends.web.acl).toEqual({ is_api: 'path_beg /api' });
    expect(root.frontends.web.bind).toEqual(['127.0.0.1:8080', ':80']);
  });

  it('maps paths to lines', () => {
    expect(tree.lines.get('backends.api.servers.b.weight')).toBe(18);
    expect(tree.lines.get('frontends.web.default_backend')).toBe(13);
    // A setting inside a server's field (its health check interval) is on the server's line.
    expect(tree.lines.get('backends.api.servers.a.health.inter')).toBe(17);
    expect(tree.lines.get('backends.api.servers.b.health.inter')).toBe(18);
    expect(tree.lines.get('backends.api.servers.a.nothing.inter')).toBeUndefined();
  });

  it('rejects what HAProxy rejects, with the line', () => {
    expect(() => parseHaproxy('backend a\n    server x\n', 'f')).toThrow(/f:2: server "x" has no address/);
    expect(() => parseHaproxy('backend a\nbackend a\n', 'f')).toThrow(/f:2: backend "a" is defined twice \(first at line 1\)/);
    expect(() => parseHaproxy('    mode http\n', 'f')).toThrow(/f:1: keyword "mode" outside of any section/);
    expect(() => parseHaproxy('global\n  log "unterminated\n', 'f')).toThrow(/f:2: unterminated double quote/);
    expect(() => parseHaproxy('global\n{% for x in y %}\n', 'f')).toThrow(/f:2: template syntax/);
  });

  it('never throws anything but ParseError on mutated configs (seeded fuzz)', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'corpus', 'haproxy');
    const samples = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')) : [cfg];
    let seed = 0x5eed;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['"', "'", '\\', '#', '\n', ' ', '{', '}', '%', 'server', 'backend x', 'balance', '\t', 'é', '<%'];
    for (let n = 0; n < 20_000; n++) {
      const base = samples[n % samples.length] as string;
      const at = Math.floor(rand() * base.length);
      const text = rand() < 0.5 ? base.slice(0, at) + (alphabet[Math.floor(rand() * alphabet.length)] as string) + base.slice(at + 1) : base.slice(0, at);
      try {
        parseHaproxy(text, 'fuzz.cfg');
      } catch (err) {
        if (!(err instanceof ParseError)) throw new Error(`case ${n}: ${String(err)}`);
        expect(err.line).toBeGreaterThanOrEqual(1);
      }
    }
    expect(lexHaproxy('', 'e')).toEqual([]);
  });
});
