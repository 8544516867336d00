import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/history/store.js';
import { emptyState } from '../../../src/history/target-state.js';
import { tempDir } from '../../helpers/tmp.js';

function filled(): { store: HistoryStore; file: string } {
  const file = join(tempDir(), 'history.db');
  const store = new HistoryStore(file);
  store.append({ type: 'target.in-sync', target: 'a', actor: 'cli:test' }, { ...emptyState('a'), status: 'in-sync' });
  store.append({ type: 'drift.detected', target: 'a', actor: 'cli:test', severity: 'critical', changes: [{ path: 'x', kind: 'changed', approved: 1, live: 2, severity: 'critical' }] });
  store.append({ type: 'git.stale', actor: 'service', reason: 'fetch failed' });
  return { store, file };
}

describe('HistoryStore', () => {
  it('appends events with a hash chain and stores the target state with the event', () => {
    const { store } = filled();
    const events = store.query();
    expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(store.state('a')).toMatchObject({ status: 'in-sync', lastEventId: 1 });
    expect(store.verify()).toEqual({ ok: true, events: 3, head: events[2]?.hash });
    store.close();
  });

  it('filters by target, type family, time and limit', () => {
    const { store } = filled();
    expect(store.query({ target: 'a' }).map((e) => e.type)).toEqual(['target.in-sync', 'drift.detected']);
    expect(store.query({ type: 'drift' }).map((e) => e.id)).toEqual([2]);
    expect(store.query({ type: 'git.stale' }).map((e) => e.id)).toEqual([3]);
    expect(store.query({ limit: 2 }).map((e) => e.id)).toEqual([2, 3]);
    expect(store.query({ since: '2999-01-01T00:00:00Z' })).toEqual([]);
    store.close();
  });

  it('refuses updates and deletes through SQL', () => {
    const { store, file } = filled();
    store.close();
    const db = new Database(file);
    expect(() => db.prepare("UPDATE events SET reason = 'x' WHERE id = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events WHERE id = 1').run()).toThrow(/append-only/);
    db.close();
  });

  it('names the first event whose content was changed by another client', () => {
    const { store, file } = filled();
    store.close();
    const db = new Database(file);
    db.exec('DROP TRIGGER events_no_update');
    db.prepare("UPDATE events SET severity = 'low' WHERE id = 2").run();
    db.close();
    const reopened = new HistoryStore(file);
    expect(reopened.verify()).toEqual({ ok: false, events: 2, badId: 2, reason: 'content does not match its hash' });
    reopened.close();
  });

  it('notices a deleted event in the middle of the chain', () => {
    const { store, file } = filled();
    store.close();
    const db = new Database(file);
    db.exec('DROP TRIGGER events_no_delete');
    db.prepare('DELETE FROM events WHERE id = 2').run();
    db.close();
    const reopened = new HistoryStore(file);
    expect(reopened.verify()).toMatchObject({ ok: false, badId: 3, reason: 'event 2 is missing' });
    reopened.close();
  });
});
