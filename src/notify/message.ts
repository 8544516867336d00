import type { Change } from '../diff/compare.js';
import type { Provenance } from '../git/provenance.js';
import type { HistoryEvent } from '../history/events.js';

/**
 * What every sink is told about one event: redacted by construction (built from redacted
 * results). The generic webhook receives exactly this JSON; Slack gets it formatted.
 */
export interface Notification {
  event: string;
  target: string | null;
  time: string;
  severity: string | null;
  summary: string;
  commit: string | null;
  fingerprint: string | null;
  /** How many changes in all; `changes` holds the most severe ones. */
  changeCount?: number;
  changes: Change[];
  provenance: Provenance | null | unknown;
  /** The drift pull request, when there is one. */
  pr?: { number: number; url: string; state: string } | null;
  /** The history event that caused it (absent for reminders). */
  eventId?: number;
  /** A reminder of a drift already announced, that is still there. */
  reminder?: { since: string };
  note?: string;
}

/** Events people want to hear about; first sightings of in-sync targets are not. */
export const NOTIFY_EVENTS = /^(drift\.|observe\.failed|revert\.(applied|failed|rolled-back)|target\.(contested|paused|resumed)|pr\.)/;

/** A notification from a history event alone (pause, resume, PR merged): no check behind it. */
export function fromEvent(e: HistoryEvent, pr?: Notification['pr']): Notification {
  return {
    event: e.type,
    target: e.target,
    time: e.time,
    severity: e.severity,
    summary: `${e.target ?? 'driftwarden'}: ${e.type}${e.reason ? `: ${e.reason}` : ''}`,
    commit: e.commit,
    fingerprint: e.fingerprint,
    changes: e.changes ?? [],
    provenance: e.provenance,
    pr: pr ?? null,
    eventId: e.id,
  };
}
