import { closeResolved, followPull, proposeDrift, type PrOutcome } from '../actions/pull-request.js';
import type { Target } from '../config/types.js';
import { errorMessage } from '../errors.js';
import type { GitState } from '../git/source.js';
import type { TargetCheck } from './check-target.js';
import { notify } from './record.js';
import { fromEvent } from '../notify/message.js';
import type { Runtime } from './runtime.js';

export type PrReport =
  | { kind: 'pr'; outcome: PrOutcome['kind']; number: number; url: string; warnings?: string[] }
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
    rt.history.checkpoint(); // a PR exists on GitHub now: remember it even if the pass is cut short
    return notify(rt, event, check);
  };
  try {
    const known = rt.history.state(name).pr;
    const action = check.decision.action;
    if (action.kind === 'close-pr' && known) {
      const closed = await closeResolved(gh, known);
      await record('pr.closed', `closed #${known.number}: the live config is back to the approved version`, { number: known.number, url: known.url }, { pr: null, lastSkip: null });
      return { kind: 'pr', outcome: closed.kind, number: known.number, url: known.url };
    }
    if (action.kind === 'pull-request' && check.liveText !== null && !liveMatchesDesiredFormat(check)) {
      return { kind: 'refused', reason: 'format', detail: `the live config is Caddy JSON but ${check.target.desired} is a Caddyfile: a PR cannot propose it as is; convert the approved file to JSON (adapter: json) to use mode pr` };
    }
    if (action.kind === 'pull-request' && check.liveText !== null) {
      const outcome = await proposeDrift(rt, gh, check, git, check.liveText);
      const warnings = 'warnings' in outcome ? outcome.warnings : undefined;
      if (outcome.kind !== 'unchanged') await record(`pr.${outcome.kind}`, `${outcome.kind} #${outcome.pr.number} for drift ${check.result.fingerprint ?? ''}`, { number: outcome.pr.number, url: outcome.pr.url, ...(warnings ? { warnings } : {}) }, { pr: outcome.pr, lastSkip: null });
      else if (known?.number !== outcome.pr.number || known.state !== 'open') rt.history.saveState({ ...rt.history.state(name), pr: outcome.pr }); // found again: follow it
      return { kind: 'pr', outcome: outcome.kind, number: outcome.pr.number, url: outcome.pr.url, ...(warnings ? { warnings } : {}) };
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

/**
 * Before a pr-mode target is checked: what became of its open PR. Merged: the drift is approved
 * (`pr.merged`, `drift.approved`, by the merger). Closed by someone else: `pr.rejected`, and the
 * closed PR stays in state so that the check decides per `onReject` instead of proposing it again.
 */
export async function followPullRequest(rt: Runtime, target: Target, actor: string): Promise<void> {
  const gh = rt.github;
  const state = rt.history.state(target.name);
  const known = state.pr;
  if (!gh || target.mode !== 'pr' || known?.state !== 'open') return;
  let followed: PrOutcome;
  try {
    followed = await followPull(gh, known);
  } catch (err) {
    const reason = rt.redactor.scrub((err as Error).message);
    const key = `pr-failed:${reason}`;
    if (state.lastSkip !== key) rt.history.append({ type: 'pr.failed', target: target.name, actor, reason }, { ...state, lastSkip: key });
    return;
  }
  const base = { target: target.name, fingerprint: known.fingerprint, data: { number: known.number, url: known.url } };
  if (followed.kind === 'merged') {
    const by = `github:${followed.by}`;
    rt.history.append({ ...base, type: 'pr.merged', actor: by, reason: `pull request #${known.number} merged by ${followed.by}` });
    const approved = rt.history.append({ ...base, type: 'drift.approved', actor: by, reason: `the live change was approved by merging #${known.number}` }, { ...rt.history.state(target.name), pr: null, lastSkip: null });
    rt.notifier.enqueue(fromEvent(approved, { number: known.number, url: known.url, state: 'merged' }));
  } else if (followed.kind === 'rejected') {
    const rejected = rt.history.append(
      { ...base, type: 'pr.rejected', actor, reason: `pull request #${known.number} was closed without merging; on reject: ${target.onReject ?? 'revert'}`, data: { ...base.data, onReject: target.onReject ?? 'revert' } },
      { ...rt.history.state(target.name), pr: { ...known, state: 'closed' }, lastSkip: null },
    );
    rt.notifier.enqueue(fromEvent(rejected, { number: known.number, url: known.url, state: 'closed' }));
  }
}
