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
CREATE INDEX IF NOT EXISTS events_target_id ON events (target, id);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TABLE IF NOT EXISTS target_state (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
