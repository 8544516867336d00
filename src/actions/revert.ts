import { join } from 'node:path';
import type { Target } from '../config/types.js';
import { errorMessage } from '../errors.js';
import type { HistoryEvent } from '../history/events.js';
import type { TargetState } from '../history/target-state.js';
import type { ApplyOutcome } from '../providers/provider.js';
import { getProvider } from '../providers/registry.js';
import { backoffDelayMs, recentReverts } from '../reconcile/decide.js';
import type { Runtime } from '../reconcile/runtime.js';
import { acquireLock } from '../state/lock.js';

/** One revert: what to put back, on whose behalf, and why. */
export interface RevertRequest {
  target: Target;
  approvedText: string;
  commit: string;
  approvedHash: string | null;
  liveHash: string | null;
  /** Identifies "the same failed content at the same commit" for backoff. */
  key: string | null;
  actor: string;
  reason: string;
  /** Set when a person overrode a guard rail (`--force`, `--allow-stale`, a ref outside the branch). */
  overrides?: string[];
}

export interface RevertResult {
  outcome: ApplyOutcome;
  events: HistoryEvent[];
}

const APPLY_TIMEOUT_MS = 120_000;

/**
 * The only code that writes a load balancer: per-target lock, `revert.planned`, the provider's
 * apply (validate, write, reload, verify, roll back), then the outcome's events and the target's
 * backoff, flapping and pending-revert state, all in history.
 */
export async function revert(rt: Runtime, req: RevertRequest, now: () => Date = () => new Date()): Promise<RevertResult> {
  const { target } = req;
  const lock = await acquireLock(join(rt.config.stateDir, 'locks', `${target.name}.lock`), `revert ${target.name}`, 2_000);
  const events: HistoryEvent[] = [];
  const base = { target: target.name, commit: req.commit, approvedHash: req.approvedHash, liveHash: req.liveHash, actor: req.actor };
  try {
    const planned = rt.history.append({ ...base, type: 'revert.planned', reason: req.reason, data: req.overrides?.length ? { overrides: req.overrides } : null });
    events.push(planned);
    rt.history.saveState({ ...rt.history.state(target.name), pendingRevert: { eventId: planned.id, commit: req.commit } });
    rt.history.checkpoint(); // the plan is on disk before the load balancer is touched
    let outcome: ApplyOutcome;
    try {
      const provider = getProvider(target.provider);
      if (!provider.apply) throw new Error(`provider ${target.provider} cannot apply`);
      outcome = await provider.apply(target, req.approvedText, { baseDir: rt.config.baseDir, signal: AbortSignal.timeout(APPLY_TIMEOUT_MS) });
    } catch (err) {
      outcome = { kind: 'failed', stage: 'write', reason: errorMessage(err), steps: [] };
    }
    // Checker output and error logs can quote config lines: redact before anything records them.
    outcome = redactOutcome(outcome, (t) => rt.redactor.text(t));
    const state = rt.history.state(target.name);
    const record = (type: string, reason: string, next: TargetState) => events.push(rt.history.append({ ...base, type, reason, data: { planned: planned.id, steps: outcome.steps } }, next));
    const cleared: TargetState = { ...state, pendingRevert: null };
    switch (outcome.kind) {
      case 'applied':
        record('revert.applied', req.reason, {
          ...cleared,
          backoff: null,
          lastSkip: null,
          reverts: [...recentReverts(state, { now: now(), policy: rt.config.revert }), now().toISOString()],
        });
        break;
      case 'invalid': {
        const why = `the approved config fails validation: ${outcome.messages.map((m) => (m.line ? `line ${m.line}: ${m.message}` : m.message)).join('; ')}`;
        record('revert.failed', why, { ...cleared, backoff: { key: req.key ?? '', failures: (state.backoff?.failures ?? 0) + 1, until: null, reason: 'approved config invalid' } });
        break;
      }
      case 'conflict':
        record('revert.skipped', outcome.reason, cleared);
        break;
      case 'rolled-back':
        record('revert.failed', `${outcome.stage} failed: ${outcome.reason}`, cleared);
        record('revert.rolled-back', 'the previous live config was restored and verified', withBackoff(cleared, req, outcome.reason, rt, now()));
        break;
      case 'failed':
        record('revert.failed', `${outcome.stage} failed: ${outcome.reason}`, withBackoff(cleared, req, outcome.reason, rt, now()));
        break;
    }
    rt.history.checkpoint(); // what was done to the load balancer is on disk at once
    return { outcome, events };
  } finally {
    lock.release();
  }
}

function redactOutcome(o: ApplyOutcome, redact: (t: string) => string): ApplyOutcome {
  const steps = o.steps.map(redact);
  switch (o.kind) {
    case 'applied':
      return { ...o, steps };
    case 'invalid':
      return { ...o, steps, messages: o.messages.map((m) => ({ ...m, message: redact(m.message) })) };
    default:
      return { ...o, steps, reason: redact(o.reason) };
  }
}

function withBackoff(state: TargetState, req: RevertRequest, reason: string, rt: Runtime, now: Date): TargetState {
  const failures = (state.backoff?.key === req.key ? state.backoff.failures : 0) + 1;
  const until = new Date(now.getTime() + backoffDelayMs(failures, rt.config.revert)).toISOString();
  return { ...state, backoff: { key: req.key ?? '', failures, until, reason: reason.slice(0, 200) } };
}
