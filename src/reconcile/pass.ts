import type { Target } from '../config/types.js';
import { UsageError } from '../errors.js';
import { prefetchProvenance } from '../git/provenance.js';
import type { GitState } from '../git/source.js';
import { act, type ActionReport, type ActOptions } from './act.js';
import { checkTarget, type AlreadyRead, type TargetCheck } from './check-target.js';
import { EarlyReads } from './early-reads.js';
import { expirePause, noteInterruptedRevert } from './housekeeping.js';
import { recordCheck } from './record.js';
import { followPullRequest } from './act-pr.js';
import { mapLimit } from './limit.js';
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
  /** Called as each target finishes (the service's metrics and logs). */
  onTarget?: (check: TargetCheck, action: ActionReport | null, seconds: number) => void;
}

export interface PassResult {
  git: GitState;
  checks: TargetCheck[];
  /** Per target (same order as checks), when the pass acted. */
  actions: (ActionReport | null)[];
  /** How long each target took (same order). */
  seconds: number[];
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

/**
 * One pass: fetch Git once; then per target, up to `concurrency` at a time, observe, compare,
 * decide, record and (reconcile) act. Results keep the order of the targets.
 */
export async function runPass(rt: Runtime, options: PassOptions): Promise<PassResult> {
  const now = options.now ?? (() => new Date());
  const targets = selectTargets(rt.config.targets, options.only);
  const early = new EarlyReads(rt, targets);
  // With a clone in place, reading ahead at once cannot hold up the fetch (measured: the second
  // fleet pass is 50-100 ms faster so). Before the first clone, reads wait for git to start.
  if (rt.git.cloned()) early.start();
  rt.trees.beginPass(targets.length);
  let git: GitState;
  try {
    git = await rt.git.sync(() => early.start()).finally(() => early.stop());
  } catch (err) {
    rt.trees.endPass();
    throw err;
  }
  await rt.git.prefetch(git.commit, targets.map((t) => t.desired)).catch(() => undefined); // each target reads (and reports) on its own then
  try {
    // Targets that differ from Git and knew no drift before will search provenance: one history log for all of them.
    const searching = early.differing((t) => rt.git.blobId(git.commit, t.desired)).filter((t) => {
      const state = rt.history.state(t.name);
      return !(state.status === 'drifted' && state.provenance);
    });
    prefetchProvenance(rt.git, searching.map((t) => t.desired));
    return await passTargets(rt, options, targets, git, now, early);
  } finally {
    rt.git.forget();
    rt.trees.endPass();
  }
}

async function passTargets(rt: Runtime, options: PassOptions, targets: Target[], git: GitState, now: () => Date, early: EarlyReads): Promise<PassResult> {
  const writes = options.record && !options.dryRun;
  if (writes) rt.history.beginGroup();
  try {
    if (writes) recordGitFreshness(rt, git);
    return await checkAll(rt, options, targets, git, now, writes, early);
  } finally {
    if (writes) rt.history.endGroup();
  }
}

async function checkAll(rt: Runtime, options: PassOptions, targets: Target[], git: GitState, now: () => Date, writes: boolean, early: EarlyReads): Promise<PassResult> {
  const outcomes = await mapLimit(targets, rt.config.service.concurrency, async (target) => {
    const started = performance.now();
    const given: AlreadyRead = { live: early.take(target.name) };
    if (writes) {
      // Housekeeping only where the state asks for it (one state read per target, not three).
      const state = rt.history.state(target.name);
      if (state.pause || state.pendingRevert || state.pr) {
        // Housekeeping changes what the check starts from (a PR followed, a pause ended): such a
        // target reads its state and live config again after it, in its turn.
        delete given.live;
        if (state.pause) await expirePause(rt, target.name, now());
        if (state.pendingRevert) noteInterruptedRevert(rt, target.name);
        if (state.pr) await followPullRequest(rt, target, rt.actor);
      } else {
        given.previous = state;
      }
    }
    const check = await checkTarget(rt, target, git, now(), {}, given);
    if (writes) await recordCheck(rt, check);
    let result: { check: TargetCheck; action: ActionReport | null };
    if (options.act) {
      const actOptions: ActOptions = { actor: rt.actor, ...(options.dryRun ? { dryRun: true } : {}) };
      const { report, after } = await act(rt, check, git, actOptions, now);
      result = { check: after ? { ...check, result: { ...after.result, event: check.result.event } } : check, action: report };
    } else {
      result = { check, action: null };
    }
    const seconds = (performance.now() - started) / 1000;
    options.onTarget?.(check, result.action, seconds); // what was found, and what was done about it
    return { ...result, seconds };
  });
  const checks = outcomes.map((o) => o.check);
  const actions = outcomes.map((o) => o.action);
  const seconds = outcomes.map((o) => o.seconds);
  return { git, checks, actions, seconds };
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
