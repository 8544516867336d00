import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { HttpSink } from '../helpers/http-sink.js';
import { setup } from '../helpers/fixture.js';

const APPROVED = `backends:
  api:
    algorithm: roundrobin
    upstream_url: https://svc:Appr0vedUrlPass@api.internal:8443/
    servers:
      - name: api-1
        address: 10.0.0.1:8080
stats:
  user: admin
  password: ApprovedPassw0rd
  api_key: AKIAAPPROVEDKEY123
  custom: internal-ACME-7f3c9d
`;
const LIVE = APPROVED.replace('ApprovedPassw0rd', 'LivePassw0rd!!')
  .replace('Appr0vedUrlPass', 'L1veUrlPass')
  .replace('AKIAAPPROVEDKEY123', 'AKIALIVEKEY456')
  .replace('internal-ACME-7f3c9d', 'internal-ACME-0b1d2e')
  .replace('roundrobin', 'random');
const SECRETS = ['ApprovedPassw0rd', 'LivePassw0rd!!', 'Appr0vedUrlPass', 'L1veUrlPass', 'AKIAAPPROVEDKEY123', 'AKIALIVEKEY456', 'ACME-7f3c9d', 'ACME-0b1d2e', 'secret-path-token'];

/** Every byte under a folder, as latin1 text, so a secret in any file (db, WAL) is found. */
function allBytes(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? (name === 'git' ? '' : allBytes(p)) : readFileSync(p).toString('latin1');
  }
  return out;
}

describe('redaction', () => {
  let sink = new HttpSink();
  afterEach(async () => {
    await sink.stop().catch(() => undefined);
    sink = new HttpSink();
  });

  it('keeps planted secrets out of stdout, stderr, history and webhook bodies, yet shows they changed', async () => {
    const hook = await sink.start();
    const s = setup({ approved: APPROVED, live: LIVE, extra: { notify: [{ webhook: hook }], redact: { patterns: ['ACME-([0-9a-f]{6})'] } } });
    const runs = [
      await cli('--config', s.config, 'check'),
      await cli('--config', s.config, 'check', '--json'),
      await cli('--config', s.config, 'diff', 'edge-lb'),
      await cli('--config', s.config, 'diff', 'edge-lb', '--json'),
      await cli('--config', s.config, 'status'),
      await cli('--config', s.config, 'status', '--json'),
      await cli('--config', s.config, 'history'),
      await cli('--config', s.config, 'history', '--json'),
    ];
    expect(sink.bodies.length).toBe(1);
    const everything = [...runs.flatMap((r) => [r.stdout, r.stderr]), ...sink.bodies, allBytes(join(s.dir, '.driftwarden'))].join('\n');
    for (const secret of SECRETS) expect(everything, secret).not.toContain(secret);

    const check = runs[1]!.json().targets[0];
    const password = check.changes.find((c: { path: string }) => c.path === 'stats.password');
    expect(password).toMatchObject({ kind: 'changed', severity: 'low', approved: expect.stringMatching(/^\[secret:[0-9a-f]{8}\]$/), live: expect.stringMatching(/^\[secret:[0-9a-f]{8}\]$/) });
    expect(password.approved).not.toBe(password.live);
    expect(runs[2]!.stdout).toMatch(/^-  password: \[secret:[0-9a-f]{8}\]$/m);
    expect(runs[2]!.stdout).toMatch(/^\+  password: \[secret:[0-9a-f]{8}\]$/m);
    const events = runs[7]!.json().events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['drift.detected', 'alert.sent']);
    expect(events[1].reason).toBe(`notified ${new URL(hook).origin} (webhook) of drift.detected`);
  });

  it('shows an unchanged secret as unchanged (same fingerprint on both sides)', async () => {
    const s = setup({ approved: APPROVED, live: APPROVED.replace('roundrobin', 'first') });
    const run = await cli('--config', s.config, 'diff', 'edge-lb', '--json');
    expect(run.json().target.changes.map((c: { path: string }) => c.path)).toEqual(['backends.api.algorithm']);
    expect(run.stdout).not.toContain('ApprovedPassw0rd');
  });

  it('sends one webhook per transition (detected, resolved) and records a failed delivery', async () => {
    const hook = await sink.start();
    const s = setup({ extra: { notify: [{ webhook: hook }] } });
    await cli('--config', s.config, 'check');
    const approved = readFileSync(s.live(), 'utf8');
    s.writeLive(approved.replace('roundrobin', 'random'));
    await cli('--config', s.config, 'check');
    await cli('--config', s.config, 'check');
    sink.status = 500;
    s.writeLive(approved);
    await cli('--config', s.config, 'check');
    const bodies = sink.bodies.map((b) => JSON.parse(b));
    expect(bodies.map((b) => b.event)).toEqual(['drift.detected', 'drift.resolved']);
    expect(bodies[0]).toMatchObject({ target: 'edge-lb', severity: 'critical', summary: expect.stringContaining('backends.api.algorithm: roundrobin -> random') });
    const alerts = (await cli('--config', s.config, 'history', '--type', 'alert', '--json')).json().events;
    expect(alerts.map((e: { type: string }) => e.type)).toEqual(['alert.sent', 'alert.failed']);
    expect(alerts[1].reason).toBe(`${new URL(hook).origin}: HTTP 500; retrying in 5s (attempt 1 of 7)`);
    expect(JSON.stringify(alerts)).not.toContain('secret-path-token');
  });
});
