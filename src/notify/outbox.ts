import type Database from 'better-sqlite3';

export interface OutboxRow {
  id: number;
  sink: string;
  body: string;
  attempts: number;
  next_at: string;
  created: string;
}

/** Most notifications kept waiting; beyond it the oldest are dropped (and that is recorded). */
export const OUTBOX_LIMIT = 5_000;

/** The durable queue of notifications (SQLite, beside the history): survives a crash or restart. */
export class Outbox {
  constructor(private readonly db: Database.Database) {}

  add(sink: string, body: string, now: Date): void {
    const at = now.toISOString();
    this.db.prepare('INSERT INTO outbox (sink, body, attempts, next_at, created) VALUES (?, ?, 0, ?, ?)').run(sink, body, at, at);
  }

  /** Drops the oldest rows beyond the limit; returns how many. */
  trim(limit = OUTBOX_LIMIT): number {
    const count = this.count();
    if (count <= limit) return 0;
    return this.db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)').run(count - limit).changes;
  }

  due(now: Date, limit: number): OutboxRow[] {
    return this.db.prepare('SELECT * FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?').all(now.toISOString(), limit) as OutboxRow[];
  }

  /** When the next waiting row is due (ISO), if any. */
  nextDue(): string | undefined {
    return (this.db.prepare('SELECT MIN(next_at) AS at FROM outbox').get() as { at: string | null }).at ?? undefined;
  }

  done(id: number): void {
    this.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
  }

  later(id: number, attempts: number, nextAt: Date): void {
    this.db.prepare('UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?').run(attempts, nextAt.toISOString(), id);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  oldest(): string | undefined {
    return (this.db.prepare('SELECT MIN(created) AS at FROM outbox').get() as { at: string | null }).at ?? undefined;
  }

  /** Reminders: when each sink last heard of a target's current drift. */
  lastAnnounced(target: string, sink: string): { fingerprint: string; at: string } | undefined {
    return this.db.prepare('SELECT fingerprint, at FROM notify_state WHERE target = ? AND sink = ?').get(target, sink) as { fingerprint: string; at: string } | undefined;
  }

  announced(target: string, sink: string, fingerprint: string, at: Date): void {
    this.db
      .prepare('INSERT INTO notify_state (target, sink, fingerprint, at) VALUES (?, ?, ?, ?) ON CONFLICT(target, sink) DO UPDATE SET fingerprint = excluded.fingerprint, at = excluded.at')
      .run(target, sink, fingerprint, at.toISOString());
  }

  forget(target: string): void {
    this.db.prepare('DELETE FROM notify_state WHERE target = ?').run(target);
  }
}
