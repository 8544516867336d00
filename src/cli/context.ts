import { userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { openRuntime, type Runtime } from '../reconcile/runtime.js';
import { acquireLock } from '../state/lock.js';
import type { Io } from './io.js';

/** How long a CLI command waits at its end to deliver notifications; the rest stay queued. */
export const NOTIFY_DEADLINE_MS = 15_000;

export interface GlobalOptions {
  config: string;
}

/** The OS user running a CLI command, recorded as the actor of what it does. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * Loads config, takes the writer lock when asked, opens the runtime, runs `fn`, cleans up. Every
 * command that holds the lock fetches Git first thing: the fetch starts as the runtime opens.
 */
export async function withRuntime<T>(io: Io, opts: GlobalOptions, command: string, lock: boolean, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config: Config = loadConfig(opts.config);
  const held = lock ? await acquireLock(join(config.stateDir, 'writer.lock'), command) : undefined;
  let rt: Runtime | undefined;
  try {
    rt = await openRuntime(config, cliActor(), undefined, { fetchNow: lock });
    for (const w of rt.warnings) io.err(`warning: ${w}`);
    const result = await fn(rt);
    await rt.notifier.drain(Date.now() + NOTIFY_DEADLINE_MS);
    return result;
  } finally {
    rt?.close();
    held?.release();
  }
}
