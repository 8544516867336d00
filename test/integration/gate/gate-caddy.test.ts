import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { gateRepo, ownTmpdir, processesWith } from '../../helpers/gate.js';
import { skipWithout } from '../../helpers/lb/ports.js';

const caddyfile = (policy: string): string => ['{', '\tadmin off', '}', '', 'http://shop.example.com {', '\treverse_proxy 10.40.0.1:8080 10.40.0.2:8080 10.40.0.3:8080 {', `\t\tlb_policy ${policy}`, '\t\thealth_uri /health', '\t}', '}', ''].join('\n');

const TARGET = { name: 'prod-caddy', desired: 'lb/Caddyfile', provider: 'caddy', adminApi: 'http://127.0.0.1:2019', gate: { traffic: true } };

describe.skipIf(skipWithout('caddy'))('driftwarden gate with a real Caddy', () => {
  const tmp = ownTmpdir();
  afterEach(() => {
    expect(processesWith(tmp), 'every caddy the traffic test started is stopped').toEqual([]);
    expect(readdirSync(tmp).filter((f) => f.startsWith('dw-traffic-')), 'its folder is removed').toEqual([]);
  });

  it('round robin passes with an even spread; the test-only `first` policy is blocked by policy and by the traffic test; a syntax error is blocked with its line', async () => {
    const g = gateRepo({ 'lb/Caddyfile': caddyfile('round_robin') }, [TARGET]);
    const ok = await g.propose({ 'lb/Caddyfile': caddyfile('round_robin').replace('/health', '/healthz') }, '--json');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const o = ok.json().targets[0];
    expect(o).toMatchObject({ verdict: 'pass', validation: { ok: true, command: 'caddy validate' } });
    // Requests carry the site's host name: the route matches it.
    expect(o.traffic.frontends).toEqual([expect.objectContaining({ proxied: 1000, errors: 0 })]);
    for (const s of o.traffic.pools[0].servers) expect(Math.abs(s.share - 1 / 3)).toBeLessThanOrEqual(0.05);

    const first = await g.propose({ 'lb/Caddyfile': caddyfile('first') }, '--json');
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const t = first.json().targets[0];
    expect(t.problems).toEqual([
      expect.objectContaining({ kind: 'policy', message: expect.stringMatching(/^production algorithms: route .+: lb_policy first is not allowed \(allowed: roundrobin, leastconn\)$/) }),
      expect.objectContaining({ kind: 'traffic', message: expect.stringMatching(/^route .+: server 10\.40\.0\.1:8080 took 100\.0% of the requests, 3\.0x an even share of 3 servers \(at most 2x\)$/) }),
    ]);
    expect(t.diff.changes).toContainEqual(expect.objectContaining({ kind: 'changed', approved: 'round_robin', live: 'first', severity: 'critical' }));

    const broken = await g.propose({ 'lb/Caddyfile': caddyfile('round_robin').replace('\t\thealth_uri /health', '\t\thealth_uri /health\n\t\tbogus_subdirective 1') }, '--json');
    expect(broken.code, broken.stdout + broken.stderr).toBe(3);
    const b = broken.json().targets[0];
    expect(b.problems.length).toBeGreaterThan(0);
    expect(b.problems[0]).toMatchObject({ file: 'lb/Caddyfile', line: 9 });
    expect(b.problems[0].message).toContain('bogus_subdirective');
  }, 60_000);
});
