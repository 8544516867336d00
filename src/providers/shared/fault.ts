import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A named point where fault-injection tests may stall the process (to kill -9 it there):
 * with DRIFTWARDEN_FAULT=<name> the process waits DRIFTWARDEN_FAULT_MS (default 30 s).
 * Nothing happens unless both the variable and the name match.
 */
export async function faultPoint(name: 'after-write'): Promise<void> {
  if (process.env.DRIFTWARDEN_FAULT !== name) return;
  await sleep(Number(process.env.DRIFTWARDEN_FAULT_MS ?? 30_000));
}
