import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../../src/errors.js';
import { acquireLock } from '../../../src/state/lock.js';
import { tempDir } from '../../helpers/tmp.js';

describe('the state folder lock', () => {
  it('is exclusive, names the holder when it cannot be had, and is released', async () => {
    const file = join(tempDir(), 'writer.lock');
    const first = await acquireLock(file, 'check');
    const second = acquireLock(file, 'diff', 200);
    await expect(second).rejects.toBeInstanceOf(LockedError);
    await expect(acquireLock(file, 'diff', 200)).rejects.toThrow(new RegExp(`locked by pid ${process.pid} on ${hostname()} \\(check, since `));
    first.release();
    expect(existsSync(file)).toBe(false);
    (await acquireLock(file, 'diff', 200)).release();
  });

  it('waits for a holder that finishes', async () => {
    const file = join(tempDir(), 'writer.lock');
    const first = await acquireLock(file, 'check');
    setTimeout(() => first.release(), 150);
    const second = await acquireLock(file, 'diff', 5_000);
    second.release();
  });

  it('takes over a lock left by a dead process', async () => {
    const file = join(tempDir(), 'writer.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(file, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: '2020-01-01T00:00:00Z', command: 'check' }));
    const lock = await acquireLock(file, 'check', 200);
    lock.release();
  });
});
