import { describeChange } from '../diff/describe.js';
import type { HistoryEvent } from '../history/events.js';
import { NOTIFY_EVENTS, type Notification } from '../notify/message.js';
import type { TargetCheck } from './check-target.js';
import type { Runtime } from './runtime.js';

/** Records a check's transition (or only its new state) and notifies the webhooks of it. */
export async function recordCheck(rt: Runtime, check: TargetCheck): Promise<HistoryEvent | null> {
  const { result, decision, next } = check;
  if (decision.event === null) {
    rt.history.saveState(next);
    if (next.status === 'drifted' && next.fingerprint) rt.notifier.remindIfDue(result.name, next.fingerprint, () => ({ ...notification(check, 'drift.reminder', new Date().toISOString()), reminder: { since: next.since ?? '' } }));
    return null;
  }
  const event = rt.history.append(
    {
      type: decision.event,
      time: next.since ?? undefined,
      target: result.name,
      commit: result.commit,
      approvedHash: result.approvedHash,
      liveHash: result.liveHash,
      fingerprint: result.fingerprint,
      severity: result.severity,
      changes: result.changes,
      provenance: result.provenance,
      actor: rt.actor,
      reason: result.error?.message ?? (result.notes.length ? result.notes.join('; ') : null),
    },
    next,
  );
  notify(rt, event, check, decision.action.kind === 'alert' ? decision.action.note : undefined);
  return event;
}

/** Queues an event's notification for every sink (delivered apart from the pass). Never throws. */
export function notify(rt: Runtime, event: HistoryEvent, check: TargetCheck, note?: string): void {
  if (!rt.notifier.configured || !NOTIFY_EVENTS.test(event.type)) return;
  const summary = /^(revert|target|pr)\.|^drift\.approved/.test(event.type) ? `${check.result.name}: ${event.type}: ${event.reason ?? ''}` : summarise(check);
  rt.notifier.enqueue({ ...notification(check, event.type, event.time, summary), eventId: event.id, ...(note ? { note } : {}) });
}

function notification(check: TargetCheck, type: string, time: string, summary = summarise(check)): Notification {
  const r = check.result;
  const pr = check.next.pr ?? null;
  return {
    event: type,
    target: r.name,
    time,
    severity: r.severity,
    summary,
    commit: r.commit,
    fingerprint: r.fingerprint,
    changeCount: r.changes.length || check.next.changeCount,
    changes: (r.changes.length ? r.changes : check.next.topChanges).slice(0, 20),
    provenance: r.provenance ?? check.next.provenance,
    pr: pr ? { number: pr.number, url: pr.url, state: pr.state } : null,
  };
}

export function summarise(check: TargetCheck): string {
  const r = check.result;
  if (r.status === 'error') return `${r.name}: error: ${r.error?.message ?? ''}`;
  if (r.status === 'in-sync') return `${r.name}: in sync`;
  const top = r.changes[0];
  return `${r.name}: drifted (${r.severity}), ${r.changes.length} change(s)${top ? `; ${describeChange(top)}` : ''}`;
}
