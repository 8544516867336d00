import type { Change } from '../diff/compare.js';
import type { Severity } from '../diff/severity.js';
import type { Provenance } from '../git/provenance.js';
import type { TargetStatus } from '../history/target-state.js';

/**
 * One target's result, as printed by `check --json` (the `targets[]` items). This shape is
 * the documented, stable contract: add fields, never rename or remove them.
 */
export interface TargetResult {
  name: string;
  provider: string;
  mode: 'alert' | 'pr' | 'revert';
  status: Exclude<TargetStatus, 'unknown'>;
  /** When the current status began (from history). */
  since: string | null;
  /** Approved commit compared with. */
  commit: string;
  approvedHash: string | null;
  liveHash: string | null;
  fingerprint: string | null;
  severity: Severity | null;
  changes: Change[];
  provenance: Provenance | null;
  error: { stage: string; message: string } | null;
  /** The history event this check recorded, if any. */
  event: string | null;
  notes: string[];
  live: { origin: string; facts: Record<string, string | number> } | null;
  approved: { origin: string };
  /** The drift pull request driftwarden follows for this target (mode pr), if any. */
  pr: { number: number; url: string; state: string } | null;
}
