/**
 * The history database's DDL as driftwarden 0.1.0 created it (src/history/schema.ts at commit
 * 3d8cf55, before the query indexes of issue 7). The growth benchmark builds its big database with
 * this, so that opening it with the current code is also the upgrade test of an existing file.
 */
export const OLD_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  target TEXT,
  type TEXT NOT NULL,
  commit_sha TEXT,
  approved_hash TEXT,
  live_hash TEXT,
  fingerprint TEXT,
  severity TEXT,
  changes TEXT,
  provenance TEXT,
  actor TEXT NOT NULL,
  reason TEXT,
  data TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_target_id ON events (target, id);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TABLE IF NOT EXISTS target_state (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  sink TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notify_state (target TEXT NOT NULL, sink TEXT NOT NULL, fingerprint TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (target, sink));
`;
