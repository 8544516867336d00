import type { TargetState } from '../history/target-state.js';
import type { Comparison } from './compare.js';
import { FINGERPRINT_VERSION } from './fingerprint.js';

/**
 * Pure: the state a check starts from, with fingerprints that an older driftwarden wrote for
 * this very drift replaced by this version's. Without it, every open drift would look changed
 * after an upgrade (a `drift.changed` event, a PR force-pushed and commented, a refusal recorded
 * again). A fingerprint is replaced only when the old scheme, applied to this comparison, gives
 * exactly it; anything else is left for decide to see as a different drift.
 */
export function adoptFingerprint(previous: TargetState, comparison: Comparison | null): TargetState {
  if (previous.fingerprintVersion === FINGERPRINT_VERSION || !comparison?.fingerprint) return previous;
  const current = comparison.fingerprint;
  const stale = (fp: string | null | undefined): boolean => typeof fp === 'string' && fp !== current;
  if (!stale(previous.fingerprint) && !stale(previous.pr?.fingerprint)) return previous;
  const legacy = comparison.legacyFingerprint?.();
  if (!legacy) return previous;
  const skipOf = `:${legacy}`;
  return {
    ...previous,
    fingerprint: previous.fingerprint === legacy ? current : previous.fingerprint,
    pr: previous.pr?.fingerprint === legacy ? { ...previous.pr, fingerprint: current } : previous.pr,
    lastSkip: previous.lastSkip?.endsWith(skipOf) ? `${previous.lastSkip.slice(0, -skipOf.length)}:${current}` : previous.lastSkip,
  };
}
