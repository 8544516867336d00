import type { Target } from '../config/types.js';
import { DEFAULT_SEVERITY_RULES } from '../diff/severity.js';
import { findProvenance, type Provenance } from '../git/provenance.js';
import type { GitState } from '../git/source.js';
import type { TargetState } from '../history/target-state.js';
import { getProvider } from '../providers/registry.js';
import { firstEmptyPool } from '../diff/pools.js';
import { adoptFingerprint } from './adopt-fingerprint.js';
import { compareConfigs, textHash, type Comparison } from './compare.js';
import { decide, modeNote, type Decision, type Outcome } from './decide.js';
import { FINGERPRINT_VERSION } from './fingerprint.js';
import { gitFiles, observeTarget, type LiveRead } from './observe.js';
import type { TargetResult } from './result.js';
import type { Runtime } from './runtime.js';

const TOP_CHANGES = 5;

/** Everything one check of one target produced, before anything is recorded. */
export interface TargetCheck {
  target: Target;
  result: TargetResult;
  decision: Decision;
  next: TargetState;
  comparison: Comparison | null;
  /** The approved text at the compared commit (what a revert would apply), when it was read. */
  approvedText: string | null;
  /** The live text exactly as read (unredacted: only ever committed to a drift PR, never printed). */
  liveText: string | null;
}

/** Options a person can give by hand (`revert --allow-stale --force`); the service gives none. */
export interface CheckOptions {
  allowStale?: boolean;
  force?: boolean;
  /** Decide as if the target had this mode (`revert` works whatever the mode). */
  mode?: Target['mode'];
}

/** What a pass read for a target before its check (so that it is not read twice). */
export interface AlreadyRead {
  /** Its live config, read while Git fetched. */
  live?: Promise<LiveRead>;
  /** Its state, read for housekeeping (when housekeeping changed nothing). */
  previous?: TargetState;
}

/** observe -> compare -> provenance -> decide, for one target. Reads only; records nothing. */
export async function checkTarget(rt: Runtime, target: Target, gitState: GitState, now: Date, options: CheckOptions = {}, given: AlreadyRead = {}): Promise<TargetCheck> {
  let previous = given.previous ?? rt.history.state(target.name);
  const obs = await observeTarget(target, rt.git, gitState, rt.config.baseDir, rt.config.service.targetTimeoutMs, rt.trees, given.live);
  let outcome: Outcome;
  let comparison: Comparison | null = null;
  let provenance: Provenance | null = null;
  if (obs.kind === 'failed') {
    outcome = { kind: 'failed', stage: obs.stage, message: rt.redactor.text(obs.message) };
  } else if (obs.kind === 'identical') {
    comparison = identicalComparison(obs.approvedText);
    outcome = { kind: 'compared', comparison };
  } else {
    const rules = [...target.severity, ...rt.config.severity, ...DEFAULT_SEVERITY_RULES];
    comparison = compareConfigs(obs.approved, obs.live, {
      rules,
      ignore: target.ignore,
      redactor: rt.redactor,
      findings: obs.snapshot.findings ?? [],
      // Hashes name the content as read (what `sha256sum` of the file says), whichever path compared it.
      hashes: { approved: textHash(obs.approvedText), live: textHash(obs.snapshot.text) },
      // The trees may be of narrowed texts: the unified diff shows the full ones.
      texts: { approved: obs.approvedText, live: obs.snapshot.text },
    });
    outcome = { kind: 'compared', comparison };
    previous = adoptFingerprint(previous, comparison);
    if (!comparison.inSync) {
      // Provenance is a history search: reuse it while the drift stays the same.
      provenance =
        previous.fingerprint === comparison.fingerprint && previous.provenance
          ? previous.provenance
          : await obs
              // The whole live config (the compared tree may be of the narrowed text).
              .full()
              .then(({ live }) =>
                findProvenance(rt.git, {
                  path: target.desired,
                  liveCanonical: live.canonical,
                  canonicalOf: async (text, commit) => {
                    // Compare like with like: a provider that follows includes follows them at that commit too.
                    const provider = getProvider(target.provider);
                    const tree = provider.parseAll
                      ? await provider.parseAll(text, target.desired, target, gitFiles(rt.git, commit, target.desired), new Set(live.included ?? []))
                      : await provider.parse(text, target.desired, target);
                    return tree.canonical;
                  },
                  tip: gitState.commit,
                }),
              )
              .catch(() => null); // provenance explains a drift; failing to find it must not hide the drift
    }
  }
  const mode = options.mode ?? target.mode;
  const decision = decide(previous, outcome, {
    mode,
    now,
    policy: rt.config.revert,
    gitStale: gitState.stale,
    key: comparison ? `${gitState.commit}:${comparison.approvedHash}:${comparison.liveHash}` : null,
    // Only a revert reads it (mode revert, or a rejected PR): the whole approved config's pools.
    // Identical: nothing to revert.
    approvedEmptyPool: obs.kind === 'observed' && mode !== 'alert' && comparison && !comparison.inSync ? firstEmptyPool((await obs.full()).approved.root) : null,
    canApply: typeof getProvider(target.provider).apply === 'function',
    onReject: target.onReject ?? 'revert',
    ...(options.allowStale ? { allowStale: true } : {}),
    ...(options.force ? { force: true } : {}),
  });
  const nowIso = now.toISOString();
  const status = outcome.kind === 'failed' ? 'error' : outcome.comparison.inSync ? 'in-sync' : 'drifted';
  const changed = decision.event !== null || previous.status !== status;
  const next: TargetState = {
    ...previous,
    name: target.name,
    status,
    since: changed ? nowIso : (previous.since ?? nowIso),
    lastChecked: nowIso,
    commit: gitState.commit,
    // A failed observation says nothing new about the drift: keep what was known, so that the
    // next good observation is compared with it (drifted -> error -> in sync is `drift.resolved`).
    fingerprint: comparison ? comparison.fingerprint : previous.fingerprint,
    ...(comparison ? { fingerprintVersion: FINGERPRINT_VERSION } : {}),
    severity: comparison ? comparison.severity : previous.severity,
    topChanges: comparison ? comparison.changes.slice(0, TOP_CHANGES) : previous.topChanges,
    changeCount: comparison ? comparison.changes.length : previous.changeCount,
    provenance: comparison ? provenance : previous.provenance,
    error: outcome.kind === 'failed' ? outcome.message : null,
  };
  const notes: string[] = [];
  if (gitState.stale) notes.push(`git: stale, last fetched ${gitState.fetchedAt}`);
  const note = status === 'drifted' ? modeNote(target.mode) : undefined;
  if (note) notes.push(note);
  if (obs.kind !== 'failed' && typeof obs.snapshot.facts.note === 'string' && status !== 'in-sync') notes.push(obs.snapshot.facts.note);
  const result: TargetResult = {
    name: target.name,
    provider: target.provider,
    mode: target.mode,
    status,
    since: next.since,
    commit: gitState.commit,
    approvedHash: comparison?.approvedHash ?? null,
    liveHash: comparison?.liveHash ?? null,
    fingerprint: next.fingerprint,
    severity: next.severity,
    changes: comparison?.changes ?? [],
    provenance,
    error: outcome.kind === 'failed' ? { stage: outcome.stage, message: outcome.message } : null,
    event: decision.event,
    notes,
    live: obs.kind !== 'failed' ? { origin: obs.snapshot.origin, facts: obs.snapshot.facts } : null,
    approved: { origin: `${target.desired}@${gitState.commit.slice(0, 12)}` },
    pr: next.pr ? { number: next.pr.number, url: next.pr.url, state: next.pr.state } : null,
  };
  return { target, result, decision, next, comparison, approvedText: obs.kind !== 'failed' ? obs.approvedText : null, liveText: obs.kind !== 'failed' ? obs.snapshot.text : null };
}

/** Equal bytes: in sync, nothing to show. */
function identicalComparison(text: string): Comparison {
  const hash = textHash(text);
  return { inSync: true, approvedHash: hash, liveHash: hash, fingerprint: null, changes: [], severity: null, approvedText: '', liveText: '' };
}
