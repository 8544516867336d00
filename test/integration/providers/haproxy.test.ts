import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haproxyProvider, type HaproxyOptions } from '../../../src/providers/haproxy/index.js';
import type { TargetBase } from '../../../src/providers/provider.js';
import { cli } from '../../helpers/cli.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { distribution, EchoServers } from '../../helpers/lb/backends.js';
import { HaproxyInstance } from '../../helpers/lb/haproxy.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';
import { stringify } from 'yaml';

const ctx = () => ({ baseDir: '/', signal: AbortSignal.timeout(60_000) });

describe.skipIf(skipWithout('haproxy'))('haproxy provider against a real HAProxy', () => {
  let lb: HaproxyInstance;
  let echo: EchoServers;
  let dir: string;
  let port: number;
  let approved: string;
  let config: string;
  let target: TargetBase & HaproxyOptions;

  beforeEach(async () => {
    dir = tempDir('dw-haproxy-');
    echo = new EchoServers();
    const [p1, p2] = await echo.start(['s1', 's2']);
    port = await freePort();
    lb = new HaproxyInstance(dir);
    approved = `${lb.globalSection()}frontend web\n    bind 127.0.0.1:${port}\n    default_backend api\n\nbackend api\n    balance roundrobin\n    server s1 127.0.0.1:${p1} weight 10\n    server s2 127.0.0.1:${p2} weight 10\n`;
    await lb.start(approved);
    const repo = new TestRepo(join(dir, 'approved'));
    repo.commit({ 'lb/haproxy.cfg': approved }, 'Approve haproxy config');
    target = { name: 'edge', desired: 'lb/haproxy.cfg', provider: 'haproxy', mode: 'alert', ignore: [], config: lb.config, runtimeApi: `unix:${lb.adminSock}`, masterSocket: `unix:${lb.masterSock}`, binary: 'haproxy', verifyTimeoutMs: 10_000 };
    config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [{ name: 'edge', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: lb.config, runtimeApi: `unix:${lb.adminSock}`, masterSocket: `unix:${lb.masterSock}` }] }));
  });

  afterEach(async () => {
    lb.stop();
    await echo.stop();
  });

  it('Given the approved config is running, check is in sync and shows the process facts', async () => {
    const run = await cli('--config', config, 'check', '--json');
    expect(run.code).toBe(0);
    expect(run.json().targets[0]).toMatchObject({ status: 'in-sync', live: { facts: { reloads: 0, failedReloads: 0 } } });
  });

  it('When an operator deploys a test-only algorithm and reloads, check names it critical in HAProxy words', async () => {
    await lb.editAndReload(approved.replace('balance roundrobin', 'balance random'));
    expect(await lb.algo('api')).toBe('unknown'); // how HAProxy 2.6 shows `random`
    const run = await cli('--config', config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/critical backend api: balance roundrobin -> random {2}\(.*haproxy\.cfg:\d+\)/);
    expect(run.stdout).not.toMatch(/running process/); // the process runs its file: nothing else to say
  });

  it('reports runtime-only changes separately, and an emptied pool as critical', async () => {
    await lb.api('set server api/s2 weight 0');
    let t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.changes).toEqual([expect.objectContaining({ scope: 'runtime', path: 'backends.api.servers.s2.weight', approved: 10, live: 0, severity: 'high', summary: 'runtime only: backend api: server s2 weight 10 -> 0' })]);
    await lb.api('set server api/s1 state maint');
    t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.severity).toBe('critical');
    expect(t.changes.map((c: { summary: string }) => c.summary)).toContain('runtime only: backend api: no server can take traffic (every server drained, down or at weight 0)');
  });

  it('a backend of server-template servers runs as its file says: no drift', async () => {
    const [p1] = await echo.start(['t1']);
    const templated = `${approved}\nbackend pool\n    balance roundrobin\n    server-template node 3 127.0.0.1:${p1} weight 4\n`;
    await lb.editAndReload(templated);
    const observed = await haproxyProvider.observe({ ...target }, ctx());
    expect(observed.findings).toEqual([]);
    expect(await lb.api('show servers state pool')).toMatch(/ node3 /);
  });

  it('notices a process that runs another server address than its file (reloaded, then the file put back)', async () => {
    const other = await freePort();
    await lb.editAndReload(approved.replace(/(server s2 127\.0\.0\.1:)\d+/, `$1${other}`));
    writeFileSync(lb.config, approved);
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.status).toBe('drifted');
    expect(t.changes).toEqual([expect.objectContaining({ scope: 'process', path: 'backends.api.servers.s2.address', approved: expect.stringMatching(/^127\.0\.0\.1:\d+$/), live: `127.0.0.1:${other}` })]);
  });

  it('reports a failed reload as the process running an older config, until a good reload', async () => {
    await lb.editAndReload(`${approved.replace('balance roundrobin', 'balance leastconn')}    no_such_keyword here\n`);
    expect(await lb.algo('api')).toBe('roundrobin'); // the reload failed: the worker kept the old config
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.live.facts).toMatchObject({ reloads: 1, failedReloads: 1 });
    expect(t.changes).toContainEqual(expect.objectContaining({ scope: 'process', path: 'process.lastReload', severity: 'high', approved: 'succeeded', live: expect.stringMatching(/^failed \(1 failed reload since the last good one/) }));
    await lb.editAndReload(approved);
    const after = await cli('--config', config, 'check', '--json');
    expect(after.code).toBe(0);
    expect(after.json().targets[0]).toMatchObject({ status: 'in-sync', live: { facts: { reloads: 2, failedReloads: 0 } } });
  });

  it('notices a process that does not run its own file (edited, not reloaded)', async () => {
    writeFileSync(lb.config, approved.replace('balance roundrobin', 'balance leastconn'));
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    const summaries = t.changes.map((c: { summary: string }) => c.summary);
    expect(summaries).toContain('backend api: balance roundrobin -> leastconn');
    expect(summaries).toContain('running process: backend api: balance leastconn -> roundrobin');
  });

  it('apply restores the approved config in the running program (round robin again, verified by traffic)', async () => {
    await lb.editAndReload(approved.replace('balance roundrobin', 'balance first'));
    expect(await distribution(`http://127.0.0.1:${port}/`, 10)).toEqual({ s1: 10 });
    const outcome = await haproxyProvider.apply!(target, approved, ctx());
    expect(outcome).toMatchObject({ kind: 'applied' });
    expect(readFileSync(lb.config, 'utf8')).toBe(approved);
    expect(readFileSync(`${lb.config}.driftwarden.prev`, 'utf8')).toContain('balance first');
    expect(await lb.algo('api')).toBe('roundrobin');
    expect(await distribution(`http://127.0.0.1:${port}/`, 10)).toEqual({ s1: 5, s2: 5 });
    expect((await cli('--config', config, 'check')).code).toBe(0);
  });

  it('apply puts runtime-only changes back through the Runtime API without a reload', async () => {
    await lb.api('set server api/s2 weight 0');
    const outcome = await haproxyProvider.apply!(target, approved, ctx());
    expect(outcome).toMatchObject({ kind: 'applied', steps: expect.arrayContaining(['runtime: set server api/s2 weight 10']) });
    expect((await cli('--config', config, 'check', '--json')).json().targets[0]).toMatchObject({ status: 'in-sync', live: { facts: { reloads: 0 } } });
  });

  it('never applies an approved config that fails validation; the running program keeps serving', async () => {
    const broken = approved.replace('balance roundrobin', 'balance roundrobin\n    frobnicate yes');
    const outcome = await haproxyProvider.apply!(target, broken, ctx());
    expect(outcome.kind).toBe('invalid');
    const line = broken.split('\n').findIndex((l) => l.includes('frobnicate')) + 1;
    if (outcome.kind === 'invalid') expect(outcome.messages[0]).toMatchObject({ line, message: expect.stringMatching(new RegExp(`\\[ALERT\\].*lb/haproxy\\.cfg:${line}.*frobnicate`)) });
    expect(readFileSync(lb.config, 'utf8')).toBe(approved);
    expect(await distribution(`http://127.0.0.1:${port}/`, 2)).toEqual({ s1: 1, s2: 1 });
  });

  it('puts the target in error with what to do when the Runtime API does not answer, and still reports other targets', async () => {
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [
      { name: 'edge', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: lb.config, runtimeApi: `unix:${dir}/nope.sock` },
      { name: 'edge-file', desired: 'lb/haproxy.cfg', provider: 'haproxy', config: lb.config },
    ] }));
    const run = await cli('--config', config, 'check', '--json');
    expect(run.code).toBe(1);
    const [broken, fine] = run.json().targets;
    expect(broken).toMatchObject({ status: 'error', error: { stage: 'observe', message: expect.stringMatching(/cannot reach HAProxy API unix:.*nope\.sock: is HAProxy running, and is the socket path right\?/) } });
    expect(fine.status).toBe('in-sync');
  });

  it('says how to fix a missing haproxy binary instead of crashing', async () => {
    const result = await haproxyProvider.validate!(approved, { ...target, binary: 'haproxy-not-installed' }, ctx());
    expect(result).toEqual({ ok: false, messages: [{ message: 'haproxy-not-installed is not installed or not on PATH; install it or set the target\'s `binary` to its full path' }] });
  });

  it('rolls back when the reload fails (valid config, port taken), and the previous config keeps running', async () => {
    const blocker = await import('node:net').then((net) => net.createServer());
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      await lb.editAndReload(approved.replace('balance roundrobin', 'balance random'));
      const wanted = approved.replace(`bind 127.0.0.1:${port}`, `bind 127.0.0.1:${port}\n    bind 127.0.0.1:${taken}`);
      const outcome = await haproxyProvider.apply!(target, wanted, ctx());
      expect(outcome).toMatchObject({ kind: 'rolled-back', stage: 'reload', reason: expect.stringMatching(/HAProxy refused to reload \(failed reloads 0 -> 1\)/) });
      expect(readFileSync(lb.config, 'utf8')).toContain('balance random');
      expect(await lb.algo('api')).toBe('unknown');
      expect((await distribution(`http://127.0.0.1:${port}/`, 4)).s1).toBeGreaterThanOrEqual(0);
    } finally {
      blocker.close();
    }
  });
});
