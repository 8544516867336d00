import { renameSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { distribution } from '../../helpers/lb/backends.js';
import { HaproxyInstance } from '../../helpers/lb/haproxy.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const history = async (s: HaproxySetup, type = '') =>
  (await cli('--config', s.config, 'history', '--json', '--limit', '200', ...(type ? ['--type', type] : []))).json().events as { type: string; reason: string; data: any }[];

describe.skipIf(skipWithout('haproxy'))('revert guard rails (real HAProxy)', () => {
  let s: HaproxySetup;
  const extra: (() => unknown)[] = [];
  afterEach(async () => {
    await s?.stop();
    for (const stop of extra.splice(0)) await stop();
  });

  it('never applies an approved config that fails validation, and does not retry the same content', async () => {
    s = await haproxySetup();
    s.repo.commit({ 'lb/haproxy.cfg': s.approved.replace('balance roundrobin', 'balance roundrobin\n    frobnicate yes') }, 'broken');
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const first = await cli('--config', s.config, 'reconcile');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/action: revert invalid: \[ALERT\].*frobnicate/);
    expect(readFileSync(s.lb.config, 'utf8')).toContain('balance random');
    expect(await s.lb.algo('api')).toBe('unknown');
    const again = await cli('--config', s.config, 'reconcile');
    expect(again.stdout).toMatch(/not reverting \(same-failure\)/);
    await cli('--config', s.config, 'reconcile');
    const types = (await history(s, 'revert')).map((e) => e.type);
    expect(types).toEqual(['revert.planned', 'revert.failed', 'revert.skipped']);
  });

  it('rolls back a reload that fails, records both, and backs off', async () => {
    s = await haproxySetup();
    const net = await import('node:net');
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    extra.push(() => blocker.close());
    s.repo.commit({ 'lb/haproxy.cfg': s.approved.replace(`bind 127.0.0.1:${s.port}`, `bind 127.0.0.1:${s.port}\n    bind 127.0.0.1:${taken}`) }, 'second bind');
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const run = await cli('--config', s.config, 'reconcile', '--json');
    expect(run.code).toBe(1);
    expect(run.json().targets[0].action).toMatchObject({ kind: 'revert-failed', outcome: { kind: 'rolled-back', stage: 'reload' } });
    expect(await s.lb.algo('api')).toBe('unknown');
    const again = (await cli('--config', s.config, 'reconcile', '--json')).json().targets[0].action;
    expect(again).toMatchObject({ kind: 'refused', reason: 'backoff', detail: expect.stringMatching(/backing off after 1 failed revert\(s\) until/) });
    expect((await history(s, 'revert')).map((e) => e.type)).toEqual(['revert.planned', 'revert.failed', 'revert.rolled-back', 'revert.skipped']);
  });

  it('rolls back when the running program does not match after the reload (verification fails)', async () => {
    s = await haproxySetup();
    // A Runtime API that reports another process: verification can never see the approved backends.
    const other = new HaproxyInstance(tempDir('dw-other-'));
    await other.start(`${other.globalSection()}backend elsewhere\n    server x 127.0.0.1:9\n`);
    extra.push(() => other.stop());
    await s.lb.editAndReload(s.withAlgorithm('random'));
    s.writeConfig({ runtimeApi: `unix:${other.adminSock}`, verifyTimeoutMs: 1500 });
    const run = await cli('--config', s.config, 'reconcile', '--json');
    expect(run.json().targets[0].action).toMatchObject({ kind: 'revert-failed', outcome: { kind: 'failed', stage: 'rollback' } });
    // The rollback itself is verified against the same wrong API, so it is reported as failed too:
    // the file is back to what was live before, and nothing claims success.
    expect(readFileSync(s.lb.config, 'utf8')).toContain('balance random');
    expect((await history(s, 'revert')).map((e) => e.type)).toEqual(['revert.planned', 'revert.failed']);
  });

  it('does not revert when the Runtime API does not answer (the live read failed)', async () => {
    s = await haproxySetup();
    await s.lb.editAndReload(s.withAlgorithm('random'));
    s.writeConfig({ runtimeApi: `unix:${s.dir}/missing.sock` });
    const run = await cli('--config', s.config, 'reconcile', '--json');
    expect(run.code).toBe(1);
    expect(run.json().targets[0]).toMatchObject({ status: 'error', action: { kind: 'alerted' } });
    expect(await history(s, 'revert')).toEqual([]);
    expect(await s.lb.algo('api')).toBe('unknown');
  });

  it('does not revert on stale Git', async () => {
    s = await haproxySetup();
    await cli('--config', s.config, 'check');
    renameSync(join(s.dir, 'approved'), join(s.dir, 'gone'));
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const run = await cli('--config', s.config, 'reconcile', '--json');
    expect(run.json().targets[0].action).toMatchObject({ kind: 'refused', reason: 'stale-git' });
    expect(await s.lb.algo('api')).toBe('unknown');
    const skipped = (await history(s, 'revert.skipped'))[0];
    expect(skipped?.reason).toMatch(/the Git fetch failed/);
    expect(skipped).toMatchObject({ approvedHash: expect.stringMatching(/^[0-9a-f]{64}$/), liveHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('pause: still checked and reported, nothing applied; when it expires the mode applies again', async () => {
    s = await haproxySetup();
    const pause = await cli('--config', s.config, 'pause', 'edge', '--for', '2s', '--reason', 'INC-7 manual weights');
    expect(pause.code).toBe(0);
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const paused = await cli('--config', s.config, 'reconcile');
    expect(paused.code).toBe(2);
    expect(paused.stdout).toMatch(/DRIFTED/);
    expect(paused.stdout).toMatch(/not reverting \(paused\): paused until .* by cli:\S+: INC-7 manual weights/);
    expect(await s.lb.algo('api')).toBe('unknown');
    await sleep(2_100);
    const after = await cli('--config', s.config, 'reconcile');
    expect(after.code).toBe(0);
    expect(await s.lb.algo('api')).toBe('roundrobin');
    const types = (await history(s)).map((e) => e.type);
    expect(types).toEqual(['target.paused', 'drift.detected', 'revert.skipped', 'target.resumed', 'revert.planned', 'revert.applied', 'drift.resolved']);
  });

  it('stops reverting a target that another writer keeps changing back (contested), until resume', async () => {
    s = await haproxySetup();
    s.writeConfig({}, { revert: { maxReverts: 2, window: '1h', backoffInitial: '2s' } });
    for (let i = 0; i < 2; i++) {
      await s.lb.editAndReload(s.withAlgorithm('random'));
      expect((await cli('--config', s.config, 'reconcile')).stdout).toMatch(/action: reverted/);
    }
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const third = await cli('--config', s.config, 'reconcile', '--json');
    expect(third.json().targets[0].action).toMatchObject({ kind: 'contested', fields: ['backends.api.algorithm'] });
    expect(await s.lb.algo('api')).toBe('unknown');
    expect((await cli('--config', s.config, 'reconcile', '--json')).json().targets[0].action).toMatchObject({ kind: 'refused', reason: 'contested' });
    const contested = (await history(s, 'target.contested'))[0];
    expect(contested?.reason).toMatch(/another writer is fighting back; fields: backends\.api\.algorithm/);
    expect(contested).toMatchObject({ approvedHash: expect.stringMatching(/^[0-9a-f]{64}$/), liveHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await cli('--config', s.config, 'resume', 'edge')).stdout).toMatch(/resumed \(ended: contested\)/);
    expect((await cli('--config', s.config, 'reconcile')).stdout).toMatch(/action: reverted/);
    expect(await distribution(s.url, 2)).toEqual({ s1: 1, s2: 1 });
  });
});
