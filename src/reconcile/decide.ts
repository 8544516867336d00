import type { RevertPolicy } from '../config/types.js';
import type { EventType } from '../history/events.js';
import type { TargetState } from '../history/target-state.js';
import type { Comparison } from './compare.js';

/** What a target's observation came to. */
export type Outcome =
  | { kind: 'compared'; comparison: Comparison }
  | { kind: 'failed'; stage: 'git' | 'observe' | 'parse-approved' | 'parse-live'; message: string };

export type Mode = 'alert' | 'pr' | 'revert';

export type RefuseReason = 'paused' | 'contested' | 'stale-git' | 'backoff' | 'same-failure' | 'empty-pool' | 'cannot-apply' | 'included-file' | 'secret' | 'not-in-file';

/** Tagged outcome of deciding: every refusal carries its reason, which lands in history. */
export type Action =
  | { kind: 'none' }
  | { kind: 'alert'; note?: string }
  | { kind: 'revert' }
  | { kind: 'pull-request' }
  | { kind: 'close-pr' }
  | { kind: 'refuse'; reason: RefuseReason; detail: string }
  | { kind: 'contest'; fields: string[]; detail: string };

export interface Decision {
  /** The history event for this transition; null when nothing changed since the last check. */
  event: EventType | null;
  action: Action;
}

/** Everything besides the observation that a decision depends on. Pure data. */
export interface DecideContext {
  mode: Mode;
  now: Date;
  policy: RevertPolicy;
  gitStale: boolean;
  /** The approved commit and content hashes: identifies "the same failed content". */
  key: string | null;
  /** A pool that the approved config leaves with no server able to take traffic, if any. */
  approvedEmptyPool: string | null;
  /** Whether the provider can apply at all (the file provider cannot reload anything). */
  canApply: boolean;
  allowStale?: boolean;
  force?: boolean;
  /** mode pr: what a PR closed without merging means for the drift it proposed. */
  onReject?: 'revert' | 'alert';
}

/** Modes that this version does not implement yet alert instead, and say so (none left). */
export function modeNote(_mode: Mode): string | undefined {
  return undefined;
}

/** Pure: the transition since the last check, and what to do about it. */
export function decide(previous: TargetState, outcome: Outcome, ctx: DecideContext): Decision {
  const event = transition(previous, outcome);
  // A first observation that is in sync is recorded but is nothing to alert about.
  const alert: Action = event === null || event === 'target.in-sync' ? { kind: 'none' } : { kind: 'alert' };
  if (outcome.kind === 'failed') return { event, action: alert };
  if (ctx.mode === 'pr') {
    const rejected = previous.pr?.state === 'closed' && previous.pr.fingerprint === outcome.comparison.fingerprint && !outcome.comparison.inSync;
    // A reviewer rejected exactly this drift: never propose it again; act on the rejection.
    if (rejected) return { event, action: (ctx.onReject ?? 'revert') === 'revert' ? revertAction(previous, outcome.comparison, ctx) : alert };
    return { event, action: prAction(previous, outcome.comparison) ?? alert };
  }
  if (outcome.comparison.inSync || ctx.mode === 'alert') return { event, action: alert };
  return { event, action: revertAction(previous, outcome.comparison, ctx) };
}

/**
 * mode pr: propose the live change (the PR step itself makes no write when nothing changed), or
 * close the PR once the live config is back to the approved one. A drift that changes a secret
 * value is never committed: it is refused, and alerted.
 */
export function prAction(previous: TargetState, comparison: Comparison): Action | undefined {
  if (comparison.inSync) return previous.pr?.state === 'open' ? { kind: 'close-pr' } : undefined;
  // Secret fingerprints that differ between the approved and the live text mean a secret value
  // changed, whatever the format (YAML field, HAProxy `stats auth`, a line of a text file).
  const fingerprints = (text: string) => new Set(text.match(/\[secret:[0-9a-f]{8}\]/g) ?? []);
  const live = fingerprints(comparison.liveText);
  const approved = fingerprints(comparison.approvedText);
  // Either direction: a changed value, or a new secret that the PR would put into Git.
  const changedSecret = [...approved].some((f) => !live.has(f)) || [...live].some((f) => !approved.has(f));
  const secrets = comparison.changes.filter((c) => JSON.stringify(c.approved ?? '').includes('[secret:') || JSON.stringify(c.live ?? '').includes('[secret:')).map((c) => c.path);
  // The running process differs from its own file (runtime weights, maintenance, a failed reload),
  // but the file equals Git: there is nothing to commit, and a PR would change nothing.
  if (comparison.changes.length > 0 && comparison.changes.every((c) => c.scope === 'runtime' || c.scope === 'process')) {
    return { kind: 'refuse', reason: 'not-in-file', detail: 'the drift is in the running process only (runtime changes or a process that does not run its file); the file equals Git, so a pull request has nothing to propose: put it right on the load balancer (a reload, or `driftwarden revert`)' };
  }
  const included = [...new Set(comparison.changes.map((c) => c.file).filter((f): f is string => Boolean(f)))];
  if (included.length > 0) {
    return { kind: 'refuse', reason: 'included-file', detail: `the drift is in an included file (${included.join(', ')}); a pull request proposes the main file only, so propose that file by hand` };
  }
  if (changedSecret) {
    return { kind: 'refuse', reason: 'secret', detail: `the drift changes secret values (${secrets.slice(0, 5).join(', ') || 'in the text'}): they are never committed to a pull request; update them in Git by hand` };
  }
  return { kind: 'pull-request' };
}

/** The guard rails of an automatic revert, in the order an operator would check them. */
export function revertAction(previous: TargetState, comparison: Comparison, ctx: DecideContext): Action {
  if (!ctx.canApply) return { kind: 'refuse', reason: 'cannot-apply', detail: 'this provider cannot apply a config (it has no reload); alerting only' };
  const included = [...new Set(comparison.changes.map((c) => c.file).filter((f): f is string => Boolean(f)))];
  if (included.length > 0) {
    return { kind: 'refuse', reason: 'included-file', detail: `the drift is in an included file (${included.join(', ')}); a revert writes the main file only, so put that file back by hand` };
  }
  if (previous.pause && Date.parse(previous.pause.until) > ctx.now.getTime()) {
    return { kind: 'refuse', reason: 'paused', detail: `paused until ${previous.pause.until} by ${previous.pause.actor}: ${previous.pause.reason}` };
  }
  if (previous.contested) {
    return { kind: 'refuse', reason: 'contested', detail: `contested since ${previous.contested.since} (another writer keeps changing ${previous.contested.fields.join(', ')}); run driftwarden resume after fixing it` };
  }
  if (ctx.gitStale && !ctx.allowStale) return { kind: 'refuse', reason: 'stale-git', detail: 'the Git fetch failed: not reverting to a possibly outdated approved version' };
  if (ctx.approvedEmptyPool && !ctx.force) {
    return { kind: 'refuse', reason: 'empty-pool', detail: `the approved config leaves ${ctx.approvedEmptyPool} with no server able to take traffic` };
  }
  const backoff = previous.backoff;
  if (backoff && backoff.key === ctx.key) {
    if (backoff.until === null) return { kind: 'refuse', reason: 'same-failure', detail: `the same approved content already failed at this commit (${backoff.reason}); waiting for a new commit or a different live config` };
    if (Date.parse(backoff.until) > ctx.now.getTime()) return { kind: 'refuse', reason: 'backoff', detail: `backing off after ${backoff.failures} failed revert(s) until ${backoff.until}: ${backoff.reason}` };
  }
  const recent = recentReverts(previous, ctx);
  if (recent.length >= ctx.policy.maxReverts) {
    const fields = [...new Set(comparison.changes.map((c) => c.path))].slice(0, 10);
    return { kind: 'contest', fields, detail: `${recent.length} reverts within ${Math.round(ctx.policy.windowMs / 60_000)} min and the drift came back each time: another writer is fighting back` };
  }
  return { kind: 'revert' };
}

export function recentReverts(state: TargetState, ctx: Pick<DecideContext, 'now' | 'policy'>): string[] {
  const since = ctx.now.getTime() - ctx.policy.windowMs;
  return state.reverts.filter((t) => Date.parse(t) > since);
}

/** Pure: the delay before retrying after the n-th consecutive failure (2 s, then x3, capped). */
export function backoffDelayMs(failures: number, policy: RevertPolicy): number {
  return Math.min(policy.backoffInitialMs * 3 ** Math.max(0, failures - 1), policy.backoffMaxMs);
}

function transition(previous: TargetState, outcome: Outcome): EventType | null {
  if (outcome.kind === 'failed') {
    return previous.status === 'error' && previous.error === outcome.message ? null : 'observe.failed';
  }
  const { comparison } = outcome;
  // After an error, the fingerprint still tells whether the target was drifted before it.
  const wasDrifted = previous.status === 'drifted' || (previous.status === 'error' && previous.fingerprint !== null);
  if (comparison.inSync) {
    if (wasDrifted) return 'drift.resolved';
    return previous.status === 'in-sync' ? null : 'target.in-sync';
  }
  if (!wasDrifted) return 'drift.detected';
  return previous.fingerprint === comparison.fingerprint ? null : 'drift.changed';
}
