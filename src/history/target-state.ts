import type { Change } from '../diff/compare.js';
import type { Severity } from '../diff/severity.js';
import type { Provenance } from '../git/provenance.js';

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
  severity: Severity | null;
  /** Up to five most severe changes, redacted. */
  topChanges: Change[];
  changeCount: number;
  provenance: Provenance | null;
  error: string | null;
  lastEventId: number | null;
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
  };
}
