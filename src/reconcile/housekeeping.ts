import { lockIsFree } from '../state/lock.js';
import { join } from 'node:path';
import type { Runtime } from './runtime.js';
import { fromEvent } from '../notify/message.js';

/** A pause whose time is up ends by itself, and says so in history. */
export async function expirePause(rt: Runtime, name: string, now: Date): Promise<void> {
  const state = rt.history.state(name);
  if (!state.pause || Date.parse(state.pause.until) > now.getTime()) return;
  const event = rt.history.append({ type: 'target.resumed', target: name, actor: 'service', reason: `pause expired (was until ${state.pause.until}: ${state.pause.reason}); handled by its mode again` }, { ...state, pause: null, lastSkip: null });
  rt.notifier.enqueue(fromEvent(event));
}

/**
 * A `revert.planned` with no outcome means the process died mid-apply. If no process holds the
 * target's lock, say so in history; the check that follows sees what is live and acts again.
 */
export function noteInterruptedRevert(rt: Runtime, name: string): void {
  const state = rt.history.state(name);
  if (!state.pendingRevert) return;
  // A live process still applying: let it finish.
  if (!lockIsFree(join(rt.config.stateDir, 'locks', `${name}.lock`))) return;
  rt.history.append(
    { type: 'revert.interrupted', target: name, commit: state.pendingRevert.commit, actor: rt.actor, reason: `revert planned in event ${state.pendingRevert.eventId} did not finish (the process stopped); checking the live config again`, data: { planned: state.pendingRevert.eventId } },
    { ...state, pendingRevert: null },
  );
}
