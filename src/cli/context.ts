import { userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { openRuntime, type Runtime } from '../reconcile/runtime.js';
import { acquireLock } from '../state/lock.js';
import type { Io } from './io.js';

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

/** Loads config, takes the writer lock when asked, opens the runtime, runs `fn`, cleans up. */
export async function withRuntime<T>(io: Io, opts: GlobalOptions, command: string, lock: boolean, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config: Config = loadConfig(opts.config);
  const held = lock ? await acquireLock(join(config.stateDir, 'writer.lock'), command) : undefined;
  let rt: Runtime | undefined;
  try {
    rt = openRuntime(config, cliActor());
    for (const w of rt.warnings) io.err(`warning: ${w}`);
    return await fn(rt);
  } finally {
    rt?.close();
    held?.release();
  }
}
