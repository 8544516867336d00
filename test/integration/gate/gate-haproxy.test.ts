import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { gateRepo, ownTmpdir, processesWith } from '../../helpers/gate.js';
import { skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

/** Four servers behind one frontend; the addresses are production ones the test must never reach. */
function haproxyCfg(balance: string, servers = ['weight 10', 'weight 10', 'weight 10', 'weight 10']): string {
  return [
    'global',
    '    maxconn 256',
    '    stats socket /run/haproxy/admin.sock mode 660 level admin',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 10s',
    '    timeout server 10s',
    '',
    'frontend web',
    '    bind :80',
    '    default_backend api',
    '',
    'backend api',
    `    ${balance}`,
    '    option httpchk GET /health',
    ...servers.map((s, i) => `    server api-${i + 1} 10.20.0.${i + 1}:8080 ${s} check`),
    '',
  ].join('\n');
}

const TARGET = { name: 'prod-lb', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: '/etc/haproxy/haproxy.cfg', gate: { traffic: true } };

describe.skipIf(skipWithout('haproxy'))('driftwarden gate with a real HAProxy', () => {
  const tmp = ownTmpdir();
  afterEach(() => {
    expect(processesWith(tmp), 'every haproxy the traffic test started is stopped').toEqual([]);
    expect(readdirSync(tmp).filter((f) => f.startsWith('dw-traffic-')), 'its folder is removed').toEqual([]);
  });

  it('a round-robin change passes: valid, within policy, and the traffic test measures an even spread', async () => {
    const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin') }, [TARGET]);
    const r = await g.propose({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin').replace('timeout server 10s', 'timeout server 20s') }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report.verdict).toBe('pass');
    const [t] = report.targets;
    expect(t).toMatchObject({ target: 'prod-lb', change: 'modified', verdict: 'pass', problems: [], validation: { ran: true, ok: true, command: 'haproxy -c' } });
    expect(t.policy.rules).toEqual(['production algorithms', 'redundancy', 'no maintenance left behind']);
    expect(t.traffic.frontends).toEqual([expect.objectContaining({ name: 'web', requests: 1000, proxied: 1000, errors: 0 })]);
    const pool = t.traffic.pools[0];
    expect(pool).toMatchObject({ pool: 'backend api', algorithm: 'roundrobin', requests: 1000, promise: 'weighted' });
    for (const s of pool.servers) {
      expect(s.promised).toBe(0.25);
      expect(Math.abs(s.share - 0.25)).toBeLessThanOrEqual(0.05);
    }
    expect(t.diff.changes).toEqual([expect.objectContaining({ path: 'defaults.(1).timeout.server', kind: 'changed', approved: '10s', live: '20s' })]);
  }, 60_000);

  it('the postmortem change (balance first) is blocked by policy and by the traffic test, with the measured skew shown', async () => {
    const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin') }, [TARGET]);
    const r = await g.propose({ 'lb/haproxy.cfg': haproxyCfg('balance first') });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('prod-lb (haproxy, lb/haproxy.cfg, modified): BLOCKED');
    expect(r.stdout).toContain('lb/haproxy.cfg:16: [policy] production algorithms: backend api: balance first is not allowed (allowed: roundrobin, leastconn)');
    expect(r.stdout).toContain('lb/haproxy.cfg:15: [traffic] backend api: server api-1 took 100.0% of the requests, 4.0x an even share of 4 servers (at most 2x)');
    // The measured distribution, as a table.
    expect(r.stdout).toMatch(/backend api \(first; 1000 requests; busiest 4\.0x an even share\)/);
    expect(r.stdout).toMatch(/api-1\s+10\s+100\.0%\s+100\.0%\s+1000/);
    expect(r.stdout).toMatch(/api-4\s+10\s+0\.0%\s+0\.0%\s+0/);
    expect(r.stdout).toContain('critical backend api: balance roundrobin -> first (line 16)');
    expect(r.stdout).toContain('result: blocked by validation, policy or the traffic test');
  }, 60_000);

  it('weights of 0 on most servers are blocked by policy (redundancy, drain) and by the traffic test', async () => {
    const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin') }, [TARGET]);
    const r = await g.propose({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin', ['weight 10', 'weight 0', 'weight 0', 'weight 0']) }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const t = r.json().targets[0];
    const messages = t.problems.map((p: { kind: string; line?: number; message: string }) => `${p.kind}:${p.line}: ${p.message}`);
    expect(messages).toContain('policy:15: redundancy: backend api: 1 server(s) able to take traffic, at least 2 required (backup, disabled, down and weight-0 servers do not count)');
    expect(messages).toContain('policy:19: no maintenance left behind: backend api: server api-2 is drain');
    expect(messages).toContain('traffic:15: backend api: server api-1 took 100.0% of the requests, 4.0x an even share of 4 servers (at most 2x)');
    expect(t.traffic.pools[0].servers.map((s: { requests: number }) => s.requests)).toEqual([1000, 0, 0, 0]);
  }, 60_000);

  it('a syntax error is blocked with its line, by the parser and by haproxy -c; no traffic test runs', async () => {
    const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin') }, [TARGET]);
    const broken = haproxyCfg('balance roundrobin').replace('    option httpchk GET /health', '    option httpchk GET /health\n    server api-9');
    const r = await g.propose({ 'lb/haproxy.cfg': broken }, '--json');
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const t = r.json().targets[0];
    expect(t.validation.ok).toBe(false);
    const validation = t.problems.filter((p: { kind: string }) => p.kind === 'validation');
    expect(validation.length).toBeGreaterThan(0);
    expect(validation[0]).toMatchObject({ file: 'lb/haproxy.cfg', line: 18 });
    expect(validation[0].message).toContain('[ALERT]');
    expect(validation[0].message).toContain('lb/haproxy.cfg:18');
    expect(t.traffic).toBeNull();
    expect(t.trafficSkipped).toMatch(/^not run: /);
  }, 60_000);

  it('a deleted approved file that a target still uses is blocked; a change to no target\'s file passes with nothing to check', async () => {
    const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin'), 'README.md': 'configs\n' }, [TARGET]);
    const docs = await g.propose({ 'README.md': 'configs of the edge\n' });
    expect(docs.code, docs.stdout + docs.stderr).toBe(0);
    expect(docs.stdout).toContain('no approved file of any target changed: nothing to gate');
    g.repo.checkout('main');
    g.repo.branch('delete');
    g.repo.git('rm', '--quiet', 'lb/haproxy.cfg');
    g.repo.git('commit', '--quiet', '-m', 'drop it');
    const r = await cli('--config', g.config, 'gate', '--json');
    expect(r.code).toBe(3);
    expect(r.json().targets[0]).toMatchObject({ change: 'deleted', verdict: 'blocked', problems: [{ kind: 'deleted', file: 'lb/haproxy.cfg' }] });
  }, 60_000);

  it('the traffic test stops every process it started and removes its folder, also when the balancer fails to start', async () => {
    // A stand-in for haproxy: `-c` is the real check; a run starts a background process (which
    // the test must stop as well) and then either runs the real haproxy or dies at once.
    const bin = tempDir('dw-fakebin-');
    const wrapper = (fail: boolean): string => {
      const file = join(bin, fail ? 'haproxy-dies' : 'haproxy-ok');
      writeFileSync(file, `#!/bin/sh\nif [ "$1" = "-c" ]; then exec haproxy "$@"; fi\nsleep 777${fail ? 1 : 2}.5 &\n${fail ? 'echo "[ALERT] cannot bind" >&2; exit 1' : 'exec haproxy "$@"'}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    for (const fail of [true, false]) {
      const g = gateRepo({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin') }, [{ ...TARGET, binary: wrapper(fail) }]);
      const r = await g.propose({ 'lb/haproxy.cfg': haproxyCfg('balance roundrobin').replace('timeout client 10s', 'timeout client 20s') }, '--json');
      const t = r.json().targets[0];
      if (fail) {
        expect(r.code).toBe(3);
        expect(t.problems).toEqual([expect.objectContaining({ kind: 'traffic', message: expect.stringMatching(/^the traffic test could not run: .*haproxy-dies exited \(code 1\) before listening: \[ALERT\] cannot bind$/) })]);
      } else {
        expect(r.code, r.stdout).toBe(0);
        expect(t.traffic.ok).toBe(true);
      }
      expect(processesWith(`sleep 777${fail ? 1 : 2}.5`)).toEqual([]);
      // This file's TMPDIR (ownTmpdir): the traffic test's folder and the checker's are gone.
      expect(readdirSync(tmp).filter((f) => f.startsWith('dw-traffic-') || f.startsWith('dw-gate-check-'))).toEqual([]);
    }
  }, 60_000);
});
