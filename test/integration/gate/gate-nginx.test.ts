import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { gateRepo, ownTmpdir, processesWith } from '../../helpers/gate.js';
import { skipWithout } from '../../helpers/lb/ports.js';

/** An upstream of four production servers behind one server block (TLS on 443 as in production). */
function nginxConf(method: string | null, params = ['weight=5', 'weight=5', 'weight=5', 'weight=5']): string {
  return [
    'user www-data;',
    'worker_processes auto;',
    'pid /run/nginx.pid;',
    'events { worker_connections 768; }',
    'http {',
    '    access_log /var/log/nginx/access.log;',
    '    upstream app {',
    ...(method ? [`        ${method};`] : []),
    ...params.map((p, i) => `        server 10.30.0.${i + 1}:8080 ${p} max_fails=3;`),
    '    }',
    '    server {',
    '        listen 80;',
    '        server_name shop.example.com;',
    '        location /api/ {',
    '            proxy_pass http://app;',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

const TARGET = { name: 'prod-nginx', desired: 'lb/nginx.conf', provider: 'nginx', config: '/etc/nginx/nginx.conf', gate: { traffic: true } };

describe.skipIf(skipWithout('nginx'))('driftwarden gate with a real nginx', () => {
  const tmp = ownTmpdir();
  afterEach(() => {
    expect(processesWith(tmp), 'every nginx the traffic test started is stopped').toEqual([]);
    expect(readdirSync(tmp).filter((f) => f.startsWith('dw-traffic-')), 'its folder is removed').toEqual([]);
  });

  it('a round-robin upstream passes with an even spread through the location that proxies to it', async () => {
    const g = gateRepo({ 'lb/nginx.conf': nginxConf(null) }, [TARGET]);
    const r = await g.propose({ 'lb/nginx.conf': nginxConf(null).replace('worker_connections 768', 'worker_connections 1024') }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const t = r.json().targets[0];
    expect(t).toMatchObject({ verdict: 'pass', validation: { ok: true, command: 'nginx -t' }, problems: [] });
    expect(t.traffic.frontends).toEqual([expect.objectContaining({ name: 'shop.example.com 80', path: '/api/', proxied: 1000, errors: 0 })]);
    const pool = t.traffic.pools[0];
    expect(pool).toMatchObject({ pool: 'upstream app', algorithm: 'round_robin', requests: 1000 });
    for (const s of pool.servers) expect(Math.abs(s.share - 0.25)).toBeLessThanOrEqual(0.05);
  }, 60_000);

  it('a test-only method is blocked by policy, and weights that pile traffic on one server by the traffic test', async () => {
    const g = gateRepo({ 'lb/nginx.conf': nginxConf(null) }, [TARGET]);
    const hashed = await g.propose({ 'lb/nginx.conf': nginxConf('ip_hash') }, '--json');
    expect(hashed.code, hashed.stdout + hashed.stderr).toBe(3);
    const h = hashed.json().targets[0];
    expect(h.problems).toEqual([expect.objectContaining({ kind: 'policy', line: 8, message: 'production algorithms: upstream app: method ip_hash is not allowed (allowed: roundrobin, leastconn)' })]);
    // Source addresses vary per request: ip_hash spreads them.
    expect(h.traffic.ok).toBe(true);
    expect(h.traffic.pools[0].promise).toBe('hash');

    const skewed = await g.propose({ 'lb/nginx.conf': nginxConf('least_conn', ['weight=97', 'weight=1', 'weight=1', 'weight=1']) });
    expect(skewed.code, skewed.stdout + skewed.stderr).toBe(3);
    expect(skewed.stdout).toMatch(/lb\/nginx\.conf:7: \[traffic\] upstream app: server 10\.30\.0\.1:8080 took 9\d\.\d% of the requests, 3\.\dx an even share of 4 servers \(at most 2x\)/);
    expect(skewed.stdout).toMatch(/10\.30\.0\.1:8080\s+97\s+97\.0%\s+9\d\.\d%/);
  }, 60_000);

  it('a syntax error is blocked with its line by nginx -t', async () => {
    const g = gateRepo({ 'lb/nginx.conf': nginxConf(null) }, [TARGET]);
    const r = await g.propose({ 'lb/nginx.conf': nginxConf(null).replace('proxy_pass http://app;', 'proxy_pass http://app;\n            proxy_bogus on;') }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const t = r.json().targets[0];
    expect(t.validation.ok).toBe(false);
    expect(t.problems).toContainEqual(expect.objectContaining({ kind: 'validation', file: 'lb/nginx.conf', line: 18, message: expect.stringContaining('unknown directive "proxy_bogus"') }));
  }, 60_000);
});
