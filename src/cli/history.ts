import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { describeChange } from '../diff/describe.js';
import { UsageError } from '../errors.js';
import type { HistoryEvent } from '../history/events.js';
import { historyFilter } from '../history/filter.js';
export { parseSince } from '../history/filter.js';
import { HistoryStore } from '../history/store.js';
import type { GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, paint, printJson, type Io } from './io.js';
import { provenanceLine } from './render.js';

export interface HistoryOptions {
  target?: string;
  type?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

/** `driftwarden history [filters]`: events oldest first (the newest `--limit`). */
export async function historyCommand(io: Io, global: GlobalOptions, opts: HistoryOptions, now = new Date()): Promise<number> {
  const filter = historyFilter(opts, now);
  const history = openHistory(global);
  try {
    const events = history.query(filter);
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'history', events });
    else if (events.length === 0) io.out('no events match');
    else for (const e of events) renderEvent(io, e);
    return EXIT.ok;
  } finally {
    history.close();
  }
}

/** `driftwarden history verify`: walks the hash chain; exit 1 naming the first bad event. */
export async function verifyCommand(io: Io, global: GlobalOptions, opts: { json?: boolean }): Promise<number> {
  const history = openHistory(global);
  try {
    const result = history.verify();
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'history verify', ...result });
    else if (result.ok) io.out(`history intact: ${result.events} event(s), head ${result.head || '(empty)'}`);
    else io.err(`history is NOT intact: event ${result.badId}: ${result.reason} (checked ${result.events} event(s))`);
    return result.ok ? EXIT.ok : EXIT.error;
  } finally {
    history.close();
  }
}

function openHistory(global: GlobalOptions): HistoryStore {
  const config = loadConfig(global.config);
  return new HistoryStore(join(config.stateDir, 'history.db'));
}

function renderEvent(io: Io, e: HistoryEvent): void {
  const head = [`#${e.id}`, e.time, paint(io, 'bold', e.type), e.target ?? '-', e.severity ?? '', e.commit ? `@${e.commit.slice(0, 12)}` : '', e.actor]
    .filter(Boolean)
    .join('  ');
  io.out(head);
  for (const c of (e.changes ?? []).slice(0, 5)) io.out(`    ${c.severity.padEnd(8)} ${describeChange(c)}`);
  if ((e.changes?.length ?? 0) > 5) io.out(`    … ${(e.changes?.length ?? 0) - 5} more`);
  if (e.provenance) io.out(`    provenance: ${provenanceLine(e.provenance)}`);
  if (e.reason) io.out(`    ${e.reason}`);
}
