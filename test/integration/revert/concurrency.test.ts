import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli } from '../../helpers/cli.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { skipWithout } from '../../helpers/lb/ports.js';

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

describe.skipIf(skipWithout('haproxy'))('one writer at a time, and crash safety (real HAProxy, real processes)', () => {
  let s: HaproxySetup;
  afterEach(() => s.stop());

  it('two controllers at once: exactly one reverts; the other waits for the lock and finds it in sync', async () => {
    s = await haproxySetup();
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const [a, b] = await Promise.all([start(['--config', s.config, 'reconcile']).done, start(['--config', s.config, 'reconcile']).done]);
    expect([a.code, b.code].sort()).toEqual([0, 0]);
    const events = (await cli('--config', s.config, 'history', '--type', 'revert', '--json')).json().events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['revert.planned', 'revert.applied']);
    expect(await s.lb.algo('api')).toBe('roundrobin');
  });

  it('a second command that cannot get the lock in time names the holder', async () => {
    s = await haproxySetup();
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const holder = start(['--config', s.config, 'revert', 'edge', '--yes'], { DRIFTWARDEN_FAULT: 'after-write', DRIFTWARDEN_FAULT_MS: '15000' });
    try {
      for (let i = 0; i < 100 && !readFileSync(s.lb.config, 'utf8').includes('balance roundrobin'); i++) await sleep(100);
      const blocked = await cli('--config', s.config, 'check');
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(new RegExp(`state folder is locked by pid ${holder.child.pid} on \\S+ \\(revert, since `));
    } finally {
      holder.child.kill('SIGKILL');
      await holder.done;
    }
  });

  it('kill -9 between the write and the reload: the file is whole, and the next reconcile repairs and says so', async () => {
    s = await haproxySetup();
    await s.lb.editAndReload(s.withAlgorithm('random'));
    const victim = start(['--config', s.config, 'reconcile'], { DRIFTWARDEN_FAULT: 'after-write', DRIFTWARDEN_FAULT_MS: '30000' });
    for (let i = 0; i < 100 && !readFileSync(s.lb.config, 'utf8').includes('balance roundrobin'); i++) await sleep(100);
    victim.child.kill('SIGKILL');
    await victim.done;
    // Written atomically: exactly the approved file, while the process still runs the old one.
    expect(readFileSync(s.lb.config, 'utf8')).toBe(s.approved);
    expect(await s.lb.algo('api')).toBe('unknown');

    const repair = await cli('--config', s.config, 'reconcile', '--json');
    expect(repair.code).toBe(0);
    expect(repair.json().targets[0].action).toMatchObject({ kind: 'reverted', steps: expect.arrayContaining(['write: not needed (the file is approved; the running process is not)']) });
    expect(await s.lb.algo('api')).toBe('roundrobin');
    const types = (await cli('--config', s.config, 'history', '--json')).json().events.map((e: { type: string }) => e.type);
    expect(types).toEqual(['drift.detected', 'revert.planned', 'revert.interrupted', 'drift.changed', 'revert.planned', 'revert.applied', 'drift.resolved']);
    expect((await cli('--config', s.config, 'history', 'verify')).code).toBe(0);
  });
});
