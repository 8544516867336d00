import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../diff/tree.js';
import { HistoryError } from '../errors.js';
import { eventHash } from './chain.js';
import type { HistoryEvent, HistoryFilter, NewEvent, VerifyResult } from './events.js';
import { SCHEMA } from './schema.js';
import { emptyState, type TargetState } from './target-state.js';

const JSON_FIELDS = ['changes', 'provenance', 'data'] as const;

interface Row {
  id: number;
  time: string;
  target: string | null;
  type: string;
  commit_sha: string | null;
  approved_hash: string | null;
  live_hash: string | null;
  fingerprint: string | null;
  severity: string | null;
  changes: string | null;
  provenance: string | null;
  actor: string;
  reason: string | null;
  data: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * The append-only, hash-chained event log and the per-target state it summarises, in one
 * SQLite file (WAL, synchronous=FULL). An event and its state update commit together.
 */
export class HistoryStore {
  private readonly db: Database.Database;
  private grouped = false;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly file: string, private readonly now: () => Date = () => new Date()) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      this.db = new Database(file, { timeout: 10_000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new HistoryError(`cannot open history database ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A prepared statement, prepared once per connection (a pass runs thousands). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** The SQLite connection, for the tables beside the chain (the notification outbox). */
  get connection(): Database.Database {
    return this.db;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.grouped && this.db.open && this.db.inTransaction) this.db.exec('COMMIT');
    this.grouped = false;
    if (this.db.open) this.db.close();
  }

  /**
   * Group commit for a pass: the writes of many targets commit together (one fsync instead of one
   * per target). A crash before `endGroup` loses only what the next pass sees again (states and
   * transitions are written together, so the next pass records them anew); anything that must
   * survive, such as a planned revert before it is applied, calls `checkpoint()`.
   */
  beginGroup(): void {
    if (this.grouped || this.db.inTransaction) return;
    this.db.exec('BEGIN IMMEDIATE');
    this.grouped = true;
  }

  /** Makes everything written so far durable, and goes on grouping. */
  checkpoint(): void {
    if (!this.grouped || !this.db.inTransaction) return;
    this.db.exec('COMMIT');
    this.db.exec('BEGIN IMMEDIATE');
  }

  endGroup(): void {
    if (!this.grouped) return;
    this.grouped = false;
    if (this.db.open && this.db.inTransaction) this.db.exec('COMMIT');
  }

  /** Appends one event (and optionally the target's new state) in one transaction. */
  append(event: NewEvent, state?: TargetState): HistoryEvent {
    return this.db.transaction(() => {
      const last = this.stmt('SELECT id, hash FROM events ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string } | undefined;
      const base: Omit<HistoryEvent, 'hash'> = {
        id: (last?.id ?? 0) + 1,
        time: event.time ?? this.now().toISOString(),
        target: event.target ?? null,
        type: event.type,
        commit: event.commit ?? null,
        approvedHash: event.approvedHash ?? null,
        liveHash: event.liveHash ?? null,
        fingerprint: event.fingerprint ?? null,
        severity: event.severity ?? null,
        changes: event.changes ?? null,
        provenance: event.provenance ?? null,
        actor: event.actor,
        reason: event.reason ?? null,
        data: event.data ?? null,
        prevHash: last?.hash ?? '',
      };
      const stored: HistoryEvent = { ...base, hash: eventHash(normalise(base)) };
      this.stmt(
          `INSERT INTO events (id, time, target, type, commit_sha, approved_hash, live_hash, fingerprint, severity,
             changes, provenance, actor, reason, data, prev_hash, hash)
           VALUES (@id, @time, @target, @type, @commit, @approvedHash, @liveHash, @fingerprint, @severity,
             @changes, @provenance, @actor, @reason, @data, @prevHash, @hash)`,
        ).run({ ...stored, ...jsonColumns(stored) });
      if (state) this.saveState({ ...state, lastEventId: stored.id });
      return stored;
    })();
  }

  /** The stored state of a target, or the empty state if it was never checked. */
  state(target: string): TargetState {
    const row = this.stmt('SELECT json FROM target_state WHERE name = ?').get(target) as { json: string } | undefined;
    // States written by older versions lack newer fields: the defaults fill them in.
    return row ? { ...emptyState(target), ...(JSON.parse(row.json) as Partial<TargetState>) } : emptyState(target);
  }

  /** Updates the state without an event (a repeated check that found nothing new). */
  saveState(state: TargetState): void {
    this.stmt('INSERT INTO target_state (name, json) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET json = excluded.json').run(state.name, JSON.stringify(state));
  }

  /** Global facts such as the Git freshness (`git.stale`). */
  getMeta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * The newest `limit` events that match, oldest first. The ids are found first, each filter
   * through the index that stops soonest (schema.ts): a short --since window (under 20,000 events)
   * through the time index; a type (or family: `drift` is `drift` and `drift.*`) as one walk per
   * type back from the highest id in (type, id, time) or (target, type, id, time), merged; a
   * target alone in (target, id, time); nothing at all from the end of the table. Then only those
   * rows are read. Reads in one transaction, so the steps see the same history.
   */
  query(filter: HistoryFilter = {}): HistoryEvent[] {
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 100_000));
    const params: Record<string, unknown> = { limit };
    const where: string[] = [];
    if (filter.target) {
      where.push('target = @target');
      params.target = filter.target;
    }
    if (filter.since) {
      where.push('time >= @since');
      params.since = filter.since;
    }
    // The family as a range an index can use: every `drift.*` sorts from `drift.` up to `drift/`.
    const family = filter.type ? (filter.type.endsWith('.') ? filter.type : `${filter.type}.`) : undefined;
    if (filter.type && family) Object.assign(params, { type: filter.type, family, familyEnd: `${family.slice(0, -1)}/` });
    const typeFilter = 'type >= @type AND type < @familyEnd AND (type = @type OR type >= @family)';
    const run = (sql: string) => this.db.prepare(sql).all(Object.fromEntries(Object.entries(params).filter(([k]) => new RegExp(`@${k}\\b`).test(sql))));
    return this.db.transaction(() => {
      const window = Math.max(20_000, 2 * limit);
      const shortWindow =
        filter.since !== undefined &&
        (this.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM events INDEXED BY events_time WHERE time >= ? LIMIT ?)').get(filter.since, window) as { n: number }).n < window;
      let ids: string;
      if (shortWindow || !family) {
        const all = family ? [...where, typeFilter] : where;
        ids = `SELECT id FROM events${shortWindow ? ' INDEXED BY events_time' : ''}${all.length ? ` WHERE ${all.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
      } else {
        // The types present in the range, one index probe each (a loose index scan).
        const types = (
          run(`WITH RECURSIVE t(type) AS (
              SELECT (SELECT min(type) FROM events WHERE type >= @type AND type < @familyEnd)
              UNION ALL SELECT (SELECT min(type) FROM events WHERE type > t.type AND type < @familyEnd) FROM t WHERE t.type IS NOT NULL)
            SELECT type FROM t WHERE type IS NOT NULL`) as { type: string }[]
        )
          .map((r) => r.type)
          .filter((t) => t === filter.type || t.startsWith(family));
        if (types.length === 0) return [];
        types.forEach((t, i) => (params[`type${i}`] = t));
        const walks = types.map((_, i) => `SELECT id FROM (SELECT id FROM events WHERE type = @type${i}${where.map((w) => ` AND ${w}`).join('')} ORDER BY id DESC LIMIT @limit)`);
        ids = `${walks.join(' UNION ALL ')} ORDER BY id DESC LIMIT @limit`;
      }
      return (run(`SELECT * FROM events WHERE id IN (${ids}) ORDER BY id ASC`) as Row[]).map(fromRow);
    })();
  }

  /** Walks the whole chain; the first event whose link or content hash is wrong is named. */
  verify(): VerifyResult {
    let prev = '';
    let expectedId = 1;
    let count = 0;
    for (const row of this.db.prepare('SELECT * FROM events ORDER BY id ASC').iterate() as IterableIterator<Row>) {
      count++;
      if (row.id !== expectedId) return { ok: false, events: count, badId: row.id, reason: `event ${expectedId} is missing` };
      if (row.prev_hash !== prev) return { ok: false, events: count, badId: row.id, reason: 'link to the previous event is broken' };
      let event: HistoryEvent;
      try {
        event = fromRow(row);
      } catch {
        return { ok: false, events: count, badId: row.id, reason: 'stored content is not valid JSON' };
      }
      const { hash, ...rest } = event;
      if (eventHash(normalise(rest)) !== hash) return { ok: false, events: count, badId: row.id, reason: 'content does not match its hash' };
      prev = row.hash;
      expectedId++;
    }
    return { ok: true, events: count, head: prev };
  }
}

/** Round-trips JSON fields so that the hash is computed over exactly what is stored. */
function normalise<T extends Omit<HistoryEvent, 'hash'>>(e: T): T {
  const out = { ...e };
  for (const f of JSON_FIELDS) (out as Record<string, unknown>)[f] = e[f] === null ? null : JSON.parse(canonicalJson(e[f]));
  return out;
}

function jsonColumns(e: HistoryEvent): Record<(typeof JSON_FIELDS)[number], string | null> {
  return {
    changes: e.changes === null ? null : canonicalJson(e.changes),
    provenance: e.provenance === null ? null : canonicalJson(e.provenance),
    data: e.data === null ? null : canonicalJson(e.data),
  };
}

function fromRow(r: Row): HistoryEvent {
  return {
    id: r.id,
    time: r.time,
    target: r.target,
    type: r.type,
    commit: r.commit_sha,
    approvedHash: r.approved_hash,
    liveHash: r.live_hash,
    fingerprint: r.fingerprint,
    severity: r.severity as HistoryEvent['severity'],
    changes: r.changes === null ? null : JSON.parse(r.changes),
    provenance: r.provenance === null ? null : JSON.parse(r.provenance),
    actor: r.actor,
    reason: r.reason,
    data: r.data === null ? null : JSON.parse(r.data),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
