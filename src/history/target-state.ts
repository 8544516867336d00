import type { Change } from '../diff/compare.js';
import type { Severity } from '../diff/severity.js';
import type { Provenance } from '../git/provenance.js';

export interface PullRequestRef {
  number: number;
  url: string;
  branch: string;
  /** The drift it proposes; the same drift on a later pass changes nothing on GitHub. */
  fingerprint: string | null;
  bodyHash: string;
  state: 'open' | 'closed' | 'merged';
}

export type TargetStatus = 'unknown' | 'in-sync' | 'drifted' | 'error';

/** The last known state of a target: what `status` prints and what `decide` compares against. */
export interface TargetState {
  name: string;
  status: TargetStatus;
  /** When the current status began. */
  since: string | null;
  lastChecked: string | null;
  commit: string | null;
  fingerprint: string | null;
  /**
   * 2 once a check has written this state's fingerprints as fingerprint v2 (absent: written by an
   * older driftwarden, which fingerprinted severities and summaries too; see adoptFingerprint).
   */
  fingerprintVersion?: number;
  severity: Severity | null;
  /** Up to five most severe changes, redacted. */
  topChanges: Change[];
  changeCount: number;
  provenance: Provenance | null;
  error: string | null;
  lastEventId: number | null;
  /** Break glass: nothing is applied until `until` (a person ran `pause`). */
  pause: { until: string; reason: string; actor: string } | null;
  /** Another writer keeps undoing reverts: automation stopped until `resume`. */
  contested: { since: string; fields: string[] } | null;
  /** Times of recent applied reverts (for flapping detection), oldest first. */
  reverts: string[];
  /** After a failed revert: what failed (commit and content) and when it may be tried again. */
  backoff: { key: string; failures: number; until: string | null; reason: string } | null;
  /** The last refusal recorded, so the same refusal is not recorded every pass. */
  lastSkip: string | null;
  /** The drift pull request of this target (mode pr), while driftwarden follows it. */
  pr: PullRequestRef | null;
  /** A revert was planned and not finished (the process died): the next run says so. */
  pendingRevert: { eventId: number; commit: string } | null;
}

export function emptyState(name: string): TargetState {
  return {
    name,
    status: 'unknown',
    since: null,
    lastChecked: null,
    commit: null,
    fingerprint: null,
    severity: null,
    topChanges: [],
    changeCount: 0,
    provenance: null,
    error: null,
    lastEventId: null,
    pause: null,
    contested: null,
    reverts: [],
    backoff: null,
    lastSkip: null,
    pendingRevert: null,
    pr: null,
  };
}
