import type { Target } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { GitState } from '../git/source.js';
import { act, type ActionReport, type ActOptions } from './act.js';
import { checkTarget, type TargetCheck } from './check-target.js';
import { expirePause, noteInterruptedRevert } from './housekeeping.js';
import { recordCheck } from './record.js';
import { followPullRequest } from './act-pr.js';
import type { Runtime } from './runtime.js';

export { summarise } from './record.js';

export interface PassOptions {
  /** Target names to check; all when empty. */
  only?: string[];
  /** Record transitions in history and notify (check, reconcile); false for read-only views (diff). */
  record: boolean;
  /** Carry out each target's decision (reconcile); check only observes. */
  act?: boolean;
  dryRun?: boolean;
  now?: () => Date;
}

export interface PassResult {
  git: GitState;
  checks: TargetCheck[];
  /** Per target (same order as checks), when the pass acted. */
  actions: (ActionReport | null)[];
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

/** One pass: fetch Git once; per target observe, compare, decide, record and (reconcile) act. */
export async function runPass(rt: Runtime, options: PassOptions): Promise<PassResult> {
  const now = options.now ?? (() => new Date());
  const targets = selectTargets(rt.config.targets, options.only);
  const git = await rt.git.sync();
  const writes = options.record && !options.dryRun;
  if (writes) recordGitFreshness(rt, git);
  const checks: TargetCheck[] = [];
  const actions: (ActionReport | null)[] = [];
  for (const target of targets) {
    if (writes) {
      await expirePause(rt, target.name, now());
      noteInterruptedRevert(rt, target.name);
      await followPullRequest(rt, target, rt.actor);
    }
    const check = await checkTarget(rt, target, git, now());
    if (writes) await recordCheck(rt, check);
    if (options.act) {
      const actOptions: ActOptions = { actor: rt.actor, ...(options.dryRun ? { dryRun: true } : {}) };
      const { report, after } = await act(rt, check, git, actOptions, now);
      checks.push(after ? { ...check, result: { ...after.result, event: check.result.event } } : check);
      actions.push(report);
    } else {
      checks.push(check);
      actions.push(null);
    }
  }
  return { git, checks, actions };
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
