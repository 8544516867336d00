import type { Change } from '../diff/compare.js';
import type { Severity } from '../diff/severity.js';
import type { Provenance } from '../git/provenance.js';

/**
 * Event types written so far. Later features add `revert.*`, `pr.*`; readers must accept
 * types they do not know.
 */
export const EVENT_TYPES = [
  'target.in-sync', // first observation in sync, or back in sync after an error
  'drift.detected', // in sync (or unknown) -> drifted
  'drift.changed', // still drifted, but the drift's fingerprint changed
  'drift.resolved', // drifted -> in sync
  'observe.failed', // the live config or the approved file could not be read or parsed
  'git.stale', // the fetch failed; the last fetched commit is used
  'git.recovered', // a fetch worked again after being stale
  'alert.sent', // a webhook received a notification
  'alert.failed', // a webhook did not accept a notification
] as const;
export type EventType = (typeof EVENT_TYPES)[number] | (string & {});

/** What a caller appends; id, time and hashes are set by the store. */
export interface NewEvent {
  type: EventType;
  /** When it happened; defaults to now. A transition uses the time its check observed it. */
  time?: string;
  target?: string | null;
  commit?: string | null;
  approvedHash?: string | null;
  liveHash?: string | null;
  fingerprint?: string | null;
  severity?: Severity | null;
  /** Already redacted. */
  changes?: Change[] | null;
  provenance?: Provenance | null;
  actor: string;
  reason?: string | null;
  data?: Record<string, unknown> | null;
}

/** A stored event: the chain links each event to the one before it. */
export interface HistoryEvent extends Required<{ [K in Exclude<keyof NewEvent, 'time'>]: Exclude<NewEvent[K], undefined> }> {
  id: number;
  time: string;
  prevHash: string;
  hash: string;
}

export interface HistoryFilter {
  target?: string;
  /** Exact type, or a prefix ending in `.` / a family name such as `drift`. */
  type?: string;
  /** ISO time; events at or after it. */
  since?: string;
  /** Newest N (returned oldest first). */
  limit?: number;
}

export type VerifyResult =
  | { ok: true; events: number; head: string }
  | { ok: false; events: number; badId: number; reason: string };
