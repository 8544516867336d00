import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError } from '../errors.js';

interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface Lock {
  release(): void;
}

/**
 * An exclusive lock file (O_EXCL). A lock left by a dead process on this host is taken over;
 * a live holder is waited for up to `waitMs`, then named in the error (pid, host, since).
 */
export async function acquireLock(file: string, command: string, waitMs = 10_000): Promise<Lock> {
  mkdirSync(dirname(file), { recursive: true });
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return { release: () => releaseIfMine(file, me) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && isStale(holder)) {
      takeOver(file, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})` : 'another process';
      throw new LockedError(`state folder is locked by ${who}; wait for it to finish, or remove ${file} if that process is gone`);
    }
    await sleep(Math.min(50 * (attempt + 1), 250));
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined; // being written right now, or gone: try again
  }
}

function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false; // cannot see processes of another machine
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves the stale file aside atomically, so two takers cannot both remove a fresh lock. */
function takeOver(file: string, stale: Holder): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return;
  }
  const moved = readHolder(aside);
  if (moved && moved.pid !== stale.pid) {
    // Raced with a new holder: put its lock back if nobody took the name meanwhile.
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(moved));
      closeSync(fd);
    } catch {
      /* someone else holds it now; our loop will wait */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
}

function releaseIfMine(file: string, me: Holder): void {
  const holder = readHolder(file);
  if (holder && holder.pid === me.pid && holder.since === me.since) {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}

/** True when nobody alive on this host holds the lock (no file, or its holder is dead). */
export function lockIsFree(file: string): boolean {
  if (!existsSync(file)) return true;
  const holder = readHolder(file);
  return holder !== undefined && isStale(holder);
}
