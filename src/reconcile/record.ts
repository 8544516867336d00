import { describeChange } from '../diff/describe.js';
import type { HistoryEvent } from '../history/events.js';
import { deliver, type Notification } from '../notify/webhook.js';
import type { TargetCheck } from './check-target.js';
import type { Runtime } from './runtime.js';

/** Events that people want to hear about (webhooks); first sightings of in-sync targets are not. */
const NOTIFY = /^(drift\.|observe\.failed|revert\.(applied|failed|rolled-back)|target\.(contested|paused|resumed)|pr\.)/;

/** Records a check's transition (or only its new state) and notifies the webhooks of it. */
export async function recordCheck(rt: Runtime, check: TargetCheck): Promise<HistoryEvent | null> {
  const { result, decision, next } = check;
  if (decision.event === null) {
    rt.history.saveState(next);
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
  await notify(rt, event, check, decision.action.kind === 'alert' ? decision.action.note : undefined);
  return event;
}

/** POSTs an event to every webhook and records each delivery. Never throws. */
export async function notify(rt: Runtime, event: HistoryEvent, check: TargetCheck, note?: string): Promise<void> {
  if (rt.config.notify.length === 0 || !NOTIFY.test(event.type)) return;
  const r = check.result;
  const body: Notification = {
    event: event.type,
    target: r.name,
    time: event.time,
    severity: r.severity,
    summary: /^(revert|target|pr)\.|^drift\.approved/.test(event.type) ? `${r.name}: ${event.type}: ${event.reason ?? ''}` : summarise(check),
    commit: r.commit,
    fingerprint: r.fingerprint,
    changes: r.changes,
    provenance: r.provenance,
    ...(note ? { note } : {}),
  };
  for (const hook of rt.config.notify) {
    const delivery = await deliver(hook.webhook, body, hook.timeoutMs);
    rt.history.append({
      type: delivery.ok ? 'alert.sent' : 'alert.failed',
      target: r.name,
      fingerprint: r.fingerprint,
      actor: rt.actor,
      reason: delivery.ok ? `notified ${delivery.endpoint} of ${event.type}` : `${delivery.endpoint}: ${delivery.reason}`,
      data: { event: event.id, endpoint: delivery.endpoint },
    });
  }
}

export function summarise(check: TargetCheck): string {
  const r = check.result;
  if (r.status === 'error') return `${r.name}: error: ${r.error?.message ?? ''}`;
  if (r.status === 'in-sync') return `${r.name}: in sync`;
  const top = r.changes[0];
  return `${r.name}: drifted (${r.severity}), ${r.changes.length} change(s)${top ? `; ${describeChange(top)}` : ''}`;
}
