/** Tables of the history database. The triggers make casual edits fail; the hash chain catches the rest. */
export const SCHEMA = `
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
CREATE INDEX IF NOT EXISTS events_time ON events (time);
-- \`history\` takes the newest N events of a target, a type or both by walking one of these back
-- from the highest id, and stops after N; \`time\` rides along so that --since is checked without
-- reading the rows. (target, id, time) replaces 0.1.0's (target, id).
CREATE INDEX IF NOT EXISTS events_target_id_time ON events (target, id, time);
CREATE INDEX IF NOT EXISTS events_type_id_time ON events (type, id, time);
CREATE INDEX IF NOT EXISTS events_target_type_id_time ON events (target, type, id, time);
DROP INDEX IF EXISTS events_target_id;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TABLE IF NOT EXISTS target_state (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Notifications not yet delivered (retried with backoff, kept across restarts). Not part of the chain:
-- each delivery or failure is recorded there as alert.sent / alert.failed.
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  sink TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at TEXT NOT NULL,
  created TEXT NOT NULL
);
-- The last announcement of each target's drift per sink, for reminders (remindEvery).
CREATE TABLE IF NOT EXISTS notify_state (target TEXT NOT NULL, sink TEXT NOT NULL, fingerprint TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (target, sink));
`;
