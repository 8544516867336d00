import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cli } from '../../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../../helpers/fixture.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { ServiceProcess } from '../../helpers/service.js';
import { HttpSink } from '../../helpers/http-sink.js';

/**
 * `driftwarden run` as a real process on a loopback port, against real load balancers and real
 * Git repositories: what an SRE sees in its logs, endpoints, metrics and history.
 */

const SECRET = 'test-webhook-secret';
const NEVER = '0 0 1 1 *'; // once a year: only webhooks and POST /reconcile start passes
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void> | void)();
});

async function types(config: string, target?: string): Promise<string[]> {
  const events = (await cli('--config', config, 'history', ...(target ? ['--target', target] : []), '--limit', '1000', '--json')).json().events as { type: string }[];
  return events.map((e) => e.type);
}

/** Adds top-level keys to a driftwarden.yaml. */
function amend(config: string, extra: Record<string, unknown>): void {
  writeFileSync(config, stringify({ ...parse(readFileSync(config, 'utf8')), ...extra }));
}

describe.skipIf(skipWithout('haproxy'))('driftwarden run against a real HAProxy', () => {
  let s: HaproxySetup;
  afterEach(async () => s?.stop());

  it('reverts a drift introduced while it runs within one schedule period; metrics, status and history say so', async () => {
    s = await haproxySetup('revert');
    const port = await freePort();
    s.writeConfig({}, { schedule: '* * * * * *', listen: `127.0.0.1:${port}` });
    const svc = await ServiceProcess.start(s.config, port);
    await svc.until(async () => (await svc.json('/status')).targets[0].status === 'in-sync', 'first pass in sync');

    await s.lb.editAndReload(s.withAlgorithm('random'));
    const changed = Date.now();
    await svc.until(async () => (await s.lb.algo('api')) === 'roundrobin' && (await svc.json('/status')).targets[0].status === 'in-sync', 'the revert', 10_000);
    // One period is a second; the pass itself (validate, reload, verify) takes about as long.
    expect(Date.now() - changed).toBeLessThan(6_000);

    expect(await svc.metric('driftwarden_reverts_total{target="edge",result="applied"}')).toBe(1);
    expect(await svc.metric('driftwarden_target_in_sync{target="edge"}')).toBe(1);
    expect(await svc.metric('driftwarden_checks_total{target="edge",result="drifted"}')).toBeGreaterThanOrEqual(1);
    const history = await svc.json('/history?target=edge&type=revert');
    expect(history.events.map((e: { type: string }) => e.type)).toEqual(['revert.planned', 'revert.applied']);
    expect(history.events[1].actor).toBe('service');
    const detected = svc.messages('target changed state').filter((l) => l.event === 'drift.detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({ target: 'edge', status: 'drifted', severity: 'critical', action: expect.stringMatching(/^reverted to [0-9a-f]{12}/) });

    expect(await svc.stop()).toEqual({ code: 0, signal: null });
    expect(await types(s.config, 'edge')).toEqual(['target.in-sync', 'drift.detected', 'revert.planned', 'revert.applied', 'drift.resolved']);
    expect((await cli('--config', s.config, 'history', 'verify')).code).toBe(0);
  });
});

describe('driftwarden run: endpoints, webhooks, reload, shutdown', () => {
  it('alert mode: detects within one period, reports it on /metrics, /status (= status --json) and /history, and logs it once', async () => {
    // The schedule finds it (the watch would be faster: see below).
    const f = setup({ targets: [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml', watch: false }] });
    const port = await freePort();
    amend(f.config, { schedule: '* * * * * *', listen: `127.0.0.1:${port}` });
    const svc = await ServiceProcess.start(f.config, port);
    expect((await svc.get('/healthz')).status).toBe(200);
    expect(await svc.json('/readyz')).toMatchObject({ ready: true, checks: { config: true, git: true, database: true } });

    f.writeLive(DRIFTED);
    const changed = Date.now();
    await svc.until(async () => (await svc.metric('driftwarden_target_in_sync{target="edge-lb"}')) === 0, 'drift on /metrics', 5_000);
    expect(Date.now() - changed).toBeLessThan(3_000);
    expect(await svc.metric('driftwarden_drift_severity{target="edge-lb"}')).toBe(4);
    expect(await svc.metric('driftwarden_drift_age_seconds{target="edge-lb"}')).toBeGreaterThanOrEqual(0);
    expect(await svc.metric('driftwarden_last_check_timestamp_seconds{target="edge-lb"}')).toBeGreaterThan(changed / 1000 - 5);
    expect(await svc.metric('driftwarden_git_stale')).toBe(0);
    expect(await svc.metric('driftwarden_pass_duration_seconds_count{trigger="schedule"}')).toBeGreaterThanOrEqual(1);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(/^# TYPE driftwarden_target_check_duration_seconds histogram$/m);
    expect(metrics).toMatch(/^driftwarden_process_open_fds \d+/m);

    // Three more passes see the same drift: one log line and one history event for it, not one per pass.
    const passes = svc.messages('pass finished').length;
    await svc.until(() => svc.messages('pass finished').length >= passes + 3, 'three more passes');
    expect(svc.messages('target changed state').filter((l) => l.event === 'drift.detected')).toHaveLength(1);
    expect((await svc.json('/history?type=drift')).events).toHaveLength(1);
    expect((await svc.get('/history?limit=0')).status).toBe(400);

    const status = await svc.json('/status');
    expect(status.targets[0]).toMatchObject({ name: 'edge-lb', status: 'drifted', severity: 'critical', changeCount: 2 });
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
    const cliStatus = (await cli('--config', f.config, 'status', '--json')).json();
    expect({ ...cliStatus, targets: cliStatus.targets.map((t: object) => ({ ...t, lastChecked: null })) }).toEqual({ ...status, targets: status.targets.map((t: object) => ({ ...t, lastChecked: null })) });
  });

  it('a signed webhook for a merged pull request starts a pass at once; a bad signature is refused with 401 and changes nothing', async () => {
    const f = setup({ live: DRIFTED });
    const port = await freePort();
    amend(f.config, { schedule: NEVER, listen: `127.0.0.1:${port}` });
    const svc = await ServiceProcess.start(f.config, port, { DRIFTWARDEN_WEBHOOK_SECRET: SECRET });
    await svc.until(async () => (await svc.json('/status')).targets[0].status === 'drifted', 'startup pass');

    // The drift is approved in Git: the PR that carries it is merged.
    f.repo.commit({ 'lb/edge.yaml': DRIFTED }, 'Approve the weight and algorithm change (#7)');
    const before = await types(f.config);
    const forged = await svc.post('/webhooks/github', JSON.stringify({ action: 'closed', pull_request: { number: 7, merged: true } }), { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as any).error.message).toMatch(/signature/);
    const unsigned = await svc.post('/webhooks/github', '{}', { 'x-github-event': 'push' });
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(await types(f.config)).toEqual(before);
    expect(svc.messages('pass started').filter((l) => l.trigger === 'webhook')).toHaveLength(0);
    expect((await svc.json('/status')).targets[0].status).toBe('drifted');

    const sent = Date.now();
    const ok = await svc.webhook('pull_request', { action: 'closed', number: 7, pull_request: { number: 7, merged: true } }, SECRET);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ accepted: true, targets: 'all' });
    await svc.until(async () => (await svc.json('/status')).targets[0].status === 'in-sync', 'the webhook pass', 5_000);
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(svc.messages('pass started').filter((l) => l.trigger === 'webhook')).toHaveLength(1);

    // A push to another branch is not the approved branch: accepted, ignored.
    const other = await svc.webhook('push', { ref: 'refs/heads/feature' }, SECRET);
    expect(await other.json()).toMatchObject({ accepted: false, reason: expect.stringContaining('not the approved branch') });
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
    expect((await types(f.config)).slice(-1)).toEqual(['drift.resolved']);
  });

  it('checks a target at once when its live file changes (watch), and not with watch: false', async () => {
    const f = setup({
      targets: [
        { name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml' },
        { name: 'unwatched', desired: 'lb/edge.yaml', provider: 'file', path: './live/other.yaml', watch: false },
      ],
    });
    f.writeLive(APPROVED, 'other.yaml');
    const port = await freePort();
    amend(f.config, { schedule: NEVER, listen: `127.0.0.1:${port}` });
    const svc = await ServiceProcess.start(f.config, port);
    await svc.until(() => svc.messages('watching live files').length === 1, 'the watch');
    expect(svc.messages('watching live files')[0]).toMatchObject({ folders: 1, files: 1 });
    const changed = Date.now();
    f.writeLive(DRIFTED);
    f.writeLive(DRIFTED, 'other.yaml');
    await svc.until(async () => (await svc.json('/status')).targets[0].status === 'drifted', 'the watched drift', 5_000);
    expect(Date.now() - changed).toBeLessThan(2_000);
    expect(svc.messages('pass started').filter((l) => l.trigger === 'watch')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 800));
    expect((await svc.json('/status')).targets[1].status).toBe('in-sync'); // not watched: waits for the schedule
    // An editor's write-to-temp-and-rename is seen too.
    writeFileSync(join(f.dir, 'live', '.edge.yaml.tmp'), APPROVED);
    renameSync(join(f.dir, 'live', '.edge.yaml.tmp'), f.live());
    await svc.until(async () => (await svc.json('/status')).targets[0].status === 'in-sync', 'the rename', 5_000);
    await svc.stop();
  });

  it('POST /reconcile runs one target now; unknown targets are 400; with a token set, no bearer is 401', async () => {
    const f = setup({
      targets: [
        { name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml' },
        { name: 'other', desired: 'lb/edge.yaml', provider: 'file', path: './live/other.yaml' },
      ],
    });
    f.writeLive(APPROVED, 'other.yaml');
    const port = await freePort();
    amend(f.config, { schedule: NEVER, listen: `127.0.0.1:${port}` });
    const svc = await ServiceProcess.start(f.config, port, { DRIFTWARDEN_API_TOKEN: 'op-token' });
    f.writeLive(DRIFTED, 'other.yaml');
    expect((await svc.post('/reconcile?target=other')).status).toBe(401);
    expect((await svc.post('/reconcile?target=other', '', { authorization: 'Bearer wrong' })).status).toBe(401);
    const unknown = await svc.post('/reconcile?target=nope', '', { authorization: 'Bearer op-token' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toMatch(/unknown target "nope"; known targets: edge-lb, other/);
    const r = await svc.post('/reconcile?target=other', '', { authorization: 'Bearer op-token' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ accepted: true, targets: ['other'] });
    await svc.until(async () => (await svc.json('/status')).targets[1].status === 'drifted', 'the asked-for pass', 5_000);
    expect((await svc.get('/reconcile')).status).toBe(405);
    expect((await svc.get('/nope')).status).toBe(404);
    // Nothing on the endpoints shows the token.
    for (const path of ['/status', '/history', '/metrics', '/readyz']) expect(await (await svc.get(path)).text()).not.toContain('op-token');
    await svc.stop();
  });

  it('tells a webhook and Slack once per change of drift, and a sink that never answers holds up no pass', async () => {
    const hook = new HttpSink();
    const slack = new HttpSink();
    const hole = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await hook.stop();
      await slack.stop();
      hole.closeAllConnections();
      await new Promise<void>((r) => hole.close(() => r()));
    });
    const f = setup();
    const port = await freePort();
    amend(f.config, {
      schedule: '* * * * * *',
      listen: `127.0.0.1:${port}`,
      notify: [{ webhook: `http://127.0.0.1:${(hole.address() as AddressInfo).port}/x`, timeoutMs: 4_000 }, { webhook: await hook.start() }, { slack: await slack.start() }],
    });
    const svc = await ServiceProcess.start(f.config, port);
    f.writeLive(DRIFTED);
    const changed = Date.now();
    await svc.until(() => hook.bodies.length === 1 && slack.bodies.length === 1, 'both notified', 10_000);
    expect(Date.now() - changed).toBeLessThan(3_500); // not held up by the sink that never answers
    // Passes went on every second while the hole kept its delivery waiting.
    await svc.until(() => svc.messages('pass finished').filter((l) => Date.parse(l.time) > changed).length >= 3, 'passes while a delivery hangs', 5_000);
    expect(JSON.parse(hook.bodies[0] as string)).toMatchObject({ event: 'drift.detected', target: 'edge-lb', severity: 'critical', changeCount: 2 });
    const message = JSON.parse(slack.bodies[0] as string);
    expect(message.text).toMatch(/^new drift: edge-lb: edge-lb: drifted \(critical\), 2 change\(s\)/);
    expect(JSON.stringify(message.blocks)).toContain('*edge-lb* (critical)');

    f.writeLive(APPROVED);
    await svc.until(() => hook.bodies.length === 2 && slack.bodies.length === 2, 'resolved notified', 10_000);
    await svc.until(() => svc.messages('pass finished').length >= 6, 'more passes');
    expect(hook.bodies.map((b) => JSON.parse(b).event)).toEqual(['drift.detected', 'drift.resolved']);
    expect(await svc.metric('driftwarden_notifications_total{sink="slack",result="sent"}')).toBe(2);
    await svc.stop();
    const alerts = (await cli('--config', f.config, 'history', '--type', 'alert', '--json')).json().events as { type: string; reason: string }[];
    expect(alerts.filter((a) => a.type === 'alert.sent')).toHaveLength(4);
    expect(alerts.find((a) => a.type === 'alert.failed')?.reason).toMatch(/no answer within 4000 ms; retrying in 5s/);
  });

  it('SIGHUP with a broken config keeps the running one; a good one takes effect', async () => {
    const f = setup();
    const port = await freePort();
    amend(f.config, { schedule: '* * * * * *', listen: `127.0.0.1:${port}` });
    const good = readFileSync(f.config, 'utf8');
    const svc = await ServiceProcess.start(f.config, port);

    writeFileSync(f.config, `${good}\nbogus: [\n`);
    svc.signal('SIGHUP');
    await svc.until(() => svc.messages('config reload refused; the running config stays in effect').length === 1, 'the refusal');
    const refused = svc.messages('config reload refused; the running config stays in effect')[0] as unknown as { problems: string[] };
    expect(refused.problems[0]).toMatch(/driftwarden\.yaml:\d+/);
    const passes = svc.messages('pass finished').length;
    await svc.until(() => svc.messages('pass finished').length >= passes + 2, 'passes after the refusal');
    expect((await svc.get('/healthz')).status).toBe(200);

    f.writeLive(APPROVED, 'second.yaml');
    writeFileSync(f.config, stringify({ ...parse(good), targets: [...parse(good).targets, { name: 'second', desired: 'lb/edge.yaml', provider: 'file', path: './live/second.yaml' }] }));
    svc.signal('SIGHUP');
    await svc.until(async () => (await svc.json('/status')).targets.some((t: { name: string; status: string }) => t.name === 'second' && t.status === 'in-sync'), 'the new target checked');
    expect(await svc.stop()).toEqual({ code: 0, signal: null });
    expect((await types(f.config)).filter((t) => t.startsWith('config.'))).toEqual(['config.refused', 'config.reloaded']);
  });
});

/** A Caddy admin API that answers GET /config/ with `config` after `delayMs`: a slow load balancer. */
async function slowCaddy(config: object, delayMs: number): Promise<{ url: string; requests: number[]; stop(): Promise<void> }> {
  const requests: number[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(Date.now());
    const t = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config)), delayMs);
    req.on('close', () => clearTimeout(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('driftwarden run under a slow target', () => {
  const CADDY = { apps: { http: { servers: { srv0: { listen: [':8080'], routes: [] } } } } };

  async function slowSetup(delayMs: number, extra: Record<string, unknown> = {}) {
    const slow = await slowCaddy(CADDY, delayMs);
    cleanups.push(() => slow.stop());
    const f = setup({ targets: [{ name: 'slow', desired: 'lb/caddy.json', provider: 'caddy', adminApi: slow.url }] });
    f.repo.commit({ 'lb/caddy.json': JSON.stringify(CADDY, null, 2) }, 'Approve caddy config');
    const port = await freePort();
    amend(f.config, { schedule: '* * * * * *', listen: `127.0.0.1:${port}`, ...extra });
    return { f, port, slow };
  }

  it('never overlaps passes: a tick while one runs is skipped and counted', async () => {
    const { f, port } = await slowSetup(2_500);
    const svc = await ServiceProcess.start(f.config, port);
    await svc.until(() => svc.messages('pass finished').length >= 3, 'three passes', 20_000);
    const skipped = await svc.metric('driftwarden_passes_skipped_total{reason="overlap"}');
    expect(skipped).toBeGreaterThanOrEqual(2);
    expect(svc.messages('scheduled pass skipped: the previous pass is still running').length).toBeGreaterThanOrEqual(2);
    // Every pass started after the previous one finished.
    const spans = svc.logs.filter((l) => l.msg === 'pass started' || l.msg === 'pass finished').map((l) => l.msg);
    for (let i = 0; i + 1 < spans.length; i += 2) expect([spans[i], spans[i + 1]]).toEqual(['pass started', 'pass finished']);
    await svc.stop();
  });

  it('checks targets concurrently up to `concurrency`, and one at a time with concurrency 1', async () => {
    for (const concurrency of [8, 1]) {
      const slow = await slowCaddy(CADDY, 1_500);
      cleanups.push(() => slow.stop());
      const f = setup({ targets: ['a', 'b', 'c'].map((n) => ({ name: n, desired: 'lb/caddy.json', provider: 'caddy', adminApi: slow.url })) });
      f.repo.commit({ 'lb/caddy.json': JSON.stringify(CADDY, null, 2) }, 'Approve caddy config');
      const port = await freePort();
      amend(f.config, { schedule: NEVER, listen: `127.0.0.1:${port}`, concurrency });
      const svc = await ServiceProcess.start(f.config, port);
      const [first, , last] = slow.requests as [number, number, number];
      if (concurrency === 8) expect(last - first).toBeLessThan(1_000); // all three asked at once
      else expect(last - first).toBeGreaterThanOrEqual(2 * 1_500 - 100); // each after the previous answered
      expect((await svc.json('/status')).targets.map((t: { status: string }) => t.status)).toEqual(['in-sync', 'in-sync', 'in-sync']);
      await svc.stop();
    }
  });

  it('waits a random jitter of less than `jitter` before each scheduled pass', async () => {
    const { f, port } = await slowSetup(0, { jitter: '2s' });
    const svc = await ServiceProcess.start(f.config, port);
    await svc.until(() => svc.messages('pass waits for its jitter').length >= 3, 'three jittered passes', 15_000);
    const delays = svc.messages('pass waits for its jitter').map((l) => l.delayMs as number);
    for (const d of delays) expect(d).toBeGreaterThan(0), expect(d).toBeLessThan(2_000);
    expect(new Set(delays).size).toBeGreaterThan(1);
    await svc.stop();
  });

  it('a target slower than targetTimeout is an error of that target, and the pass goes on', async () => {
    const { f, port } = await slowSetup(4_000, { targetTimeout: '1s' });
    const svc = await ServiceProcess.start(f.config, port);
    const status = (await svc.json('/status')).targets[0];
    expect(status).toMatchObject({ status: 'error', error: expect.stringContaining('timed out after 1000 ms') });
    expect(await svc.metric('driftwarden_errors_total{target="slow",stage="observe"}')).toBeGreaterThanOrEqual(1);
    await svc.stop();
  });

  it('SIGTERM during a pass lets it finish, releases the lock, keeps history intact and exits 0', async () => {
    const { f, port, slow } = await slowSetup(2_000, { schedule: NEVER });
    const svc = await ServiceProcess.start(f.config, port);
    expect((await svc.post('/reconcile')).status).toBe(202);
    await svc.until(() => slow.requests.length >= 2, 'the second pass to be reading the slow target');
    svc.signal('SIGTERM');
    const exit = await svc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(svc.messages('stopping')[0]).toMatchObject({ signal: 'SIGTERM', passRunning: true });
    expect(svc.messages('stopped')[0]).toMatchObject({ clean: true });
    // The pass in flight was finished, not cut: its check is recorded.
    expect(svc.messages('pass finished')).toHaveLength(2);
    expect(existsSync(join(f.dir, '.driftwarden', 'writer.lock'))).toBe(false);
    expect((await cli('--config', f.config, 'history', 'verify')).code).toBe(0);
    expect((await svc.get('/healthz').catch(() => null))).toBeNull();
  });

  it('SIGTERM with a pass that outlasts shutdownTimeout: stops anyway, says so, gives the lock back', async () => {
    const { f, port, slow } = await slowSetup(8_000, { schedule: NEVER, shutdownTimeout: '1s', targetTimeout: '20s' });
    const svc = new ServiceProcess(f.config, `http://127.0.0.1:${port}`);
    await svc.until(() => slow.requests.length >= 1, 'the first pass reading the slow target');
    const sent = Date.now();
    svc.signal('SIGTERM');
    expect(await svc.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(6_000);
    expect(svc.messages('stopped')[0]).toMatchObject({ clean: false });
    expect(svc.logs.some((l) => /did not finish in time/.test(l.msg))).toBe(true);
    expect(existsSync(join(f.dir, '.driftwarden', 'writer.lock'))).toBe(false);
    expect((await cli('--config', f.config, 'history', 'verify')).code).toBe(0);
  });
});
