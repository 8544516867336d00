import { UsageError } from '../errors.js';
import type { HistoryFilter } from './events.js';

/** The filters of `driftwarden history` and `GET /history`, as given by a person (strings). */
export interface HistoryQuery {
  target?: string;
  type?: string;
  since?: string;
  limit?: string;
}

/** Checks and converts a query; a bad value is a UsageError that says what is expected. */
export function historyFilter(q: HistoryQuery, now: Date): HistoryFilter {
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`limit must be a whole number from 1 to 10000, got ${JSON.stringify(q.limit)}`);
  return {
    ...(q.target ? { target: q.target } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.since ? { since: parseSince(q.since, now) } : {}),
    limit,
  };
}

/** `2h`, `30m`, `7d`, `45s`, or an ISO date/time. */
export function parseSince(value: string, now: Date): string {
  const rel = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(rel[1]) * unit * 1000).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--since takes a duration such as 2h, 30m, 7d, or an ISO time such as 2026-11-27T08:00:00Z; got ${JSON.stringify(value)}`);
  return new Date(t).toISOString();
}

