import { UsageError } from '../errors.js';
import type { Target } from '../config/types.js';
import { describeChange } from '../diff/describe.js';
import type { GitState } from '../git/source.js';
import { deliver, type Notification } from '../notify/webhook.js';
import { checkTarget, type TargetCheck } from './check-target.js';
import type { Runtime } from './runtime.js';

export interface PassOptions {
  /** Target names to check; all when empty. */
  only?: string[];
  /** Record transitions in history and notify (check); false for read-only views (diff). */
  record: boolean;
  now?: () => Date;
}

export interface PassResult {
  git: GitState;
  checks: TargetCheck[];
}

/** Picks targets by name; an unknown name is a usage error listing the known ones. */
export function selectTargets(all: Target[], names: string[] = []): Target[] {
  if (names.length === 0) return all;
  const known = new Map(all.map((t) => [t.name, t]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown target ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known targets: ${all.map((t) => t.name).join(', ')}`);
  }
  return names.map((n) => known.get(n) as Target);
}

/** One check pass: fetch Git once, check each target, record transitions, notify. */
export async function runPass(rt: Runtime, options: PassOptions): Promise<PassResult> {
  const now = options.now ?? (() => new Date());
  const targets = selectTargets(rt.config.targets, options.only);
  const git = await rt.git.sync();
  if (options.record) recordGitFreshness(rt, git);
  const checks: TargetCheck[] = [];
  for (const target of targets) {
    const check = await checkTarget(rt, target, git, now());
    if (options.record) await record(rt, check);
    checks.push(check);
  }
  return { git, checks };
}

function recordGitFreshness(rt: Runtime, git: GitState): void {
  const wasStale = rt.history.getMeta('git.stale') === 'true';
  if (git.stale === wasStale) return;
  rt.history.append({
    type: git.stale ? 'git.stale' : 'git.recovered',
    commit: git.commit,
    actor: rt.actor,
    reason: git.stale ? `fetch failed: ${git.error ?? 'unknown reason'}; using the commit fetched at ${git.fetchedAt}` : 'fetch succeeded again',
  });
  rt.history.setMeta('git.stale', String(git.stale));
}

async function record(rt: Runtime, check: TargetCheck): Promise<void> {
  const { result, decision, next } = check;
  if (decision.event === null) {
    rt.history.saveState(next);
    return;
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
  if (decision.action.kind !== 'alert' || rt.config.notify.length === 0) return;
  const body: Notification = {
    event: event.type,
    target: result.name,
    time: event.time,
    severity: result.severity,
    summary: summarise(check),
    commit: result.commit,
    fingerprint: result.fingerprint,
    changes: result.changes,
    provenance: result.provenance,
    ...(decision.action.note ? { note: decision.action.note } : {}),
  };
  for (const hook of rt.config.notify) {
    const delivery = await deliver(hook.webhook, body, hook.timeoutMs);
    rt.history.append({
      type: delivery.ok ? 'alert.sent' : 'alert.failed',
      target: result.name,
      fingerprint: result.fingerprint,
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
