import { revert } from '../actions/revert.js';
import { actPr, type PrReport } from './act-pr.js';
import type { GitState } from '../git/source.js';
import type { ApplyOutcome } from '../providers/provider.js';
import { checkTarget, type CheckOptions, type TargetCheck } from './check-target.js';
import { notify, recordCheck } from './record.js';
import type { Runtime } from './runtime.js';

/** What `reconcile` did for one target (the `action` of its JSON result). */
export type ActionReport =
  | { kind: 'none' }
  | { kind: 'alerted' }
  | { kind: 'would-revert'; commit: string }
  | { kind: 'would-propose-pr' }
  | { kind: 'would-close-pr' }
  | { kind: 'reverted'; commit: string; steps: string[] }
  | { kind: 'revert-failed'; outcome: ApplyOutcome }
  | { kind: 'refused'; reason: string; detail: string }
  | { kind: 'contested'; fields: string[]; detail: string }
  | PrReport;

export interface ActOptions extends CheckOptions {
  dryRun?: boolean;
  actor: string;
  reason?: string;
}

/**
 * Carries out a check's decision. Dry-run reports what it would do and changes nothing; a refusal
 * or a contest is recorded once (not every pass) with its reason.
 */
export async function act(rt: Runtime, check: TargetCheck, git: GitState, options: ActOptions, now: () => Date): Promise<{ report: ActionReport; after?: TargetCheck }> {
  const { action } = check.decision;
  const name = check.target.name;
  if (check.target.mode === 'pr' && !options.dryRun && (action.kind === 'pull-request' || action.kind === 'close-pr')) {
    const report = await actPr(rt, check, git, options.actor, now);
    if (report) return { report };
  }
  switch (action.kind) {
    case 'pull-request':
      return { report: options.dryRun ? { kind: 'would-propose-pr' } : { kind: 'none' } };
    case 'close-pr':
      return { report: options.dryRun ? { kind: 'would-close-pr' } : { kind: 'none' } };
    case 'none':
      return { report: { kind: 'none' } };
    case 'alert':
      return { report: { kind: 'alerted' } };
    case 'refuse': {
      if (!options.dryRun) {
        const state = rt.history.state(name);
        const key = `${action.reason}:${check.result.fingerprint ?? ''}`;
        if (state.lastSkip !== key) {
          const event = rt.history.append({ type: check.target.mode === 'pr' ? 'pr.skipped' : 'revert.skipped', target: name, commit: git.commit, approvedHash: check.result.approvedHash, liveHash: check.result.liveHash, fingerprint: check.result.fingerprint, actor: options.actor, reason: action.detail, data: { refused: action.reason } }, { ...state, lastSkip: key });
          notify(rt, event, check);
        }
      }
      return { report: { kind: 'refused', reason: action.reason, detail: action.detail } };
    }
    case 'contest': {
      if (!options.dryRun) {
        const state = rt.history.state(name);
        const event = rt.history.append(
          { type: 'target.contested', target: name, commit: git.commit, approvedHash: check.result.approvedHash, liveHash: check.result.liveHash, fingerprint: check.result.fingerprint, changes: check.result.changes, actor: options.actor, reason: `${action.detail}; fields: ${action.fields.join(', ')}`, data: { fields: action.fields } },
          { ...state, contested: { since: now().toISOString(), fields: action.fields } },
        );
        notify(rt, event, check);
      }
      return { report: { kind: 'contested', fields: action.fields, detail: action.detail } };
    }
    case 'revert': {
      if (options.dryRun || check.approvedText === null) return { report: { kind: 'would-revert', commit: git.commit } };
      const result = await revert(rt, {
        target: check.target,
        approvedText: check.approvedText,
        commit: git.commit,
        approvedHash: check.result.approvedHash,
        liveHash: check.result.liveHash,
        key: check.comparison ? `${git.commit}:${check.comparison.approvedHash}:${check.comparison.liveHash}` : null,
        actor: options.actor,
        reason: options.reason ?? `mode revert: ${check.result.severity} drift ${check.result.fingerprint ?? ''}`.trim(),
      }, now);
      for (const e of result.events) notify(rt, e, check);
      if (result.outcome.kind !== 'applied') return { report: { kind: 'revert-failed', outcome: result.outcome } };
      // Look again, so that history reads: drift detected, revert applied, in sync.
      const after = await checkTarget(rt, check.target, git, now(), { ...options, mode: 'alert' });
      await recordCheck(rt, after);
      return { report: { kind: 'reverted', commit: git.commit, steps: result.outcome.steps }, after };
    }
  }
}
