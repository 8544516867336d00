import { closeResolved, followPull, proposeDrift, type PrOutcome } from '../actions/pull-request.js';
import { revert } from '../actions/revert.js';
import { errorMessage } from '../errors.js';
import type { GitState } from '../git/source.js';
import type { TargetCheck } from './check-target.js';
import { firstEmptyPool } from '../diff/pools.js';
import { getProvider } from '../providers/registry.js';
import { revertAction } from './decide.js';
import { notify } from './record.js';
import type { Runtime } from './runtime.js';

export type PrReport =
  | { kind: 'pr'; outcome: PrOutcome['kind']; number: number; url: string }
  | { kind: 'pr-failed'; reason: string }
  | { kind: 'refused'; reason: string; detail: string };

/**
 * mode pr, one target: first learn what became of the open PR (merged: the drift is approved;
 * closed by someone: rejected, then `onReject`), then propose or close per the decision.
 */
export async function actPr(rt: Runtime, check: TargetCheck, git: GitState, actor: string, now: () => Date): Promise<PrReport | undefined> {
  const gh = rt.github;
  const name = check.target.name;
  if (!gh) return { kind: 'refused', reason: 'no-github', detail: `no GitHub token (${rt.config.github?.tokenEnv ?? 'github.tokenEnv'} is not set): alerting only` };
  const record = (type: string, reason: string, data: Record<string, unknown>, patch: Partial<ReturnType<Runtime['history']['state']>>, by = actor) => {
    const state = rt.history.state(name);
    const event = rt.history.append({ type, target: name, commit: git.commit, fingerprint: check.result.fingerprint, liveHash: check.result.liveHash, actor: by, reason, data }, { ...state, ...patch });
    return notify(rt, event, check);
  };
  try {
    const known = rt.history.state(name).pr;
    if (known?.state === 'open') {
      const followed = await followPull(gh, known);
      if (followed.kind === 'merged') {
        await record('pr.merged', `pull request #${known.number} merged by ${followed.by}`, { number: known.number, url: known.url }, { pr: null }, `github:${followed.by}`);
        await record('drift.approved', `the live change was approved by merging #${known.number}`, { number: known.number }, {}, `github:${followed.by}`);
        return { kind: 'pr', outcome: 'merged', number: known.number, url: known.url };
      }
      if (followed.kind === 'rejected') {
        await record('pr.rejected', `pull request #${known.number} was closed without merging`, { number: known.number, url: known.url, onReject: check.target.onReject ?? 'revert' }, { pr: null });
        if ((check.target.onReject ?? 'revert') === 'revert' && check.comparison && !check.comparison.inSync) return rejectThenRevert(rt, check, git, actor, now, known.number, known.url);
        return { kind: 'pr', outcome: 'rejected', number: known.number, url: known.url };
      }
    }
    const action = check.decision.action;
    if (action.kind === 'close-pr' && known) {
      const closed = await closeResolved(gh, known);
      await record('pr.closed', `closed #${known.number}: the live config is back to the approved version`, { number: known.number, url: known.url }, { pr: null });
      return { kind: 'pr', outcome: closed.kind, number: known.number, url: known.url };
    }
    if (action.kind === 'pull-request' && check.liveText !== null && !liveMatchesDesiredFormat(check)) {
      return { kind: 'refused', reason: 'format', detail: `the live config is Caddy JSON but ${check.target.desired} is a Caddyfile: a PR cannot propose it as is; convert the approved file to JSON (adapter: json) to use mode pr` };
    }
    if (action.kind === 'pull-request' && check.liveText !== null) {
      const outcome = await proposeDrift(rt, gh, check, git, check.liveText);
      if (outcome.kind !== 'unchanged') await record(`pr.${outcome.kind}`, `${outcome.kind} #${outcome.pr.number} for drift ${check.result.fingerprint ?? ''}`, { number: outcome.pr.number, url: outcome.pr.url }, { pr: outcome.pr });
      return { kind: 'pr', outcome: outcome.kind, number: outcome.pr.number, url: outcome.pr.url };
    }
    return undefined;
  } catch (err) {
    // GitHub's messages quote no config; only credentials in URLs or headers need scrubbing here.
    const reason = rt.redactor.scrub(errorMessage(err));
    const state = rt.history.state(name);
    const key = `pr-failed:${reason}`;
    if (state.lastSkip !== key) rt.history.append({ type: 'pr.failed', target: name, commit: git.commit, actor, reason }, { ...state, lastSkip: key });
    return { kind: 'pr-failed', reason };
  }
}

/** Caddy's live state is JSON: it can only be proposed into an approved JSON file. */
function liveMatchesDesiredFormat(check: TargetCheck): boolean {
  if (check.target.provider !== 'caddy') return true;
  const adapter = (check.target as { adapter?: string }).adapter;
  return adapter === 'json' || (adapter === undefined && check.target.desired.toLowerCase().endsWith('.json'));
}

/** A rejected drift is reverted, through every guard rail of an automatic revert. */
async function rejectThenRevert(rt: Runtime, check: TargetCheck, git: GitState, actor: string, now: () => Date, number: number, url: string): Promise<PrReport> {
  const state = rt.history.state(check.target.name);
  const comparison = check.comparison;
  if (!comparison || check.approvedText === null) return { kind: 'pr', outcome: 'rejected', number, url };
  const action = revertAction(state, comparison, {
    mode: 'revert',
    now: now(),
    policy: rt.config.revert,
    gitStale: git.stale,
    key: `${git.commit}:${comparison.approvedHash}:${comparison.liveHash}`,
    approvedEmptyPool: firstEmptyPool((await getProvider(check.target.provider).parse(check.approvedText, check.target.desired, check.target)).root),
    canApply: typeof getProvider(check.target.provider).apply === 'function',
  });
  if (action.kind !== 'revert') {
    rt.history.append({ type: 'revert.skipped', target: check.target.name, commit: git.commit, actor, reason: 'detail' in action ? action.detail : action.kind, data: { afterRejected: number } }, state);
    return { kind: 'pr', outcome: 'rejected', number, url };
  }
  await revert(rt, { target: check.target, approvedText: check.approvedText, commit: git.commit, approvedHash: comparison.approvedHash, liveHash: comparison.liveHash, key: `${git.commit}:${comparison.approvedHash}:${comparison.liveHash}`, actor, reason: `drift rejected: pull request #${number} closed without merging` }, now);
  return { kind: 'pr', outcome: 'rejected', number, url };
}
