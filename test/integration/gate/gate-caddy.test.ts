import { describe, expect, it } from 'vitest';
import { gateRepo } from '../../helpers/gate.js';
import { skipWithout } from '../../helpers/lb/ports.js';

const caddyfile = (policy: string): string => ['{', '\tadmin off', '}', '', 'http://shop.example.com {', '\treverse_proxy 10.40.0.1:8080 10.40.0.2:8080 {', `\t\tlb_policy ${policy}`, '\t\thealth_uri /health', '\t}', '}', ''].join('\n');

const TARGET = { name: 'prod-caddy', desired: 'lb/Caddyfile', provider: 'caddy', adminApi: 'http://127.0.0.1:2019' };

// The traffic test does not apply to Caddy yet: validation (caddy adapt, caddy validate), policy and the diff do.
describe.skipIf(skipWithout('caddy'))('driftwarden gate with a real Caddy', () => {
  it('round robin passes; the test-only `first` policy is blocked by policy; a syntax error is blocked with its line', async () => {
    const g = gateRepo({ 'lb/Caddyfile': caddyfile('round_robin') }, [TARGET]);
    const ok = await g.propose({ 'lb/Caddyfile': caddyfile('round_robin').replace('/health', '/healthz') }, '--json');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.json().targets[0]).toMatchObject({ verdict: 'pass', validation: { ok: true, command: 'caddy validate' } });

    const first = await g.propose({ 'lb/Caddyfile': caddyfile('first') }, '--json');
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const t = first.json().targets[0];
    expect(t.problems).toEqual([expect.objectContaining({ kind: 'policy', message: expect.stringMatching(/^production algorithms: route .+: lb_policy first is not allowed \(allowed: roundrobin, leastconn\)$/) })]);
    expect(t.diff.changes).toContainEqual(expect.objectContaining({ kind: 'changed', approved: 'round_robin', live: 'first', severity: 'critical' }));

    const broken = await g.propose({ 'lb/Caddyfile': caddyfile('round_robin').replace('\t\thealth_uri /health', '\t\thealth_uri /health\n\t\tbogus_subdirective 1') }, '--json');
    expect(broken.code, broken.stdout + broken.stderr).toBe(3);
    const b = broken.json().targets[0];
    expect(b.problems.length).toBeGreaterThan(0);
    expect(b.problems[0]).toMatchObject({ file: 'lb/Caddyfile', line: 9 });
    expect(b.problems[0].message).toContain('bogus_subdirective');
  }, 60_000);
});
