import { loadConfig } from '../config/load.js';
import { join } from 'node:path';
import { HistoryStore } from '../history/store.js';
import { describeChange } from '../diff/describe.js';
import type { GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, paint, printJson, type Io } from './io.js';
import { provenanceLine } from './render.js';
import { statusView } from '../reconcile/status-view.js';

/** `driftwarden status [--json]`: the last known state of every target, from history. No network. */
export async function statusCommand(io: Io, global: GlobalOptions, opts: { json?: boolean }): Promise<number> {
  const config = loadConfig(global.config);
  const history = new HistoryStore(join(config.stateDir, 'history.db'));
  try {
    const view = statusView(config, history, JSON_SCHEMA_VERSION);
    const { targets } = view;
    const gitStale = view.git.stale;
    if (opts.json) {
      printJson(io, view);
      return EXIT.ok;
    }
    if (gitStale) io.out(paint(io, 'yellow', 'git: stale (the last fetch failed); see `driftwarden history --type git`'));
    for (const t of targets) {
      const since = t.since ? ` since ${t.since}` : '';
      const checked = t.lastChecked ? `, last checked ${t.lastChecked}` : '';
      if (t.status === 'unknown') io.out(`${t.name.padEnd(20)} never checked (run driftwarden check)`);
      else io.out(`${t.name.padEnd(20)} ${t.status}${since}${checked}`);
      if (t.status === 'drifted') {
        io.out(`  ${t.severity}, ${t.changeCount} change(s)${t.topChanges[0] ? `; ${describeChange(t.topChanges[0])}` : ''}`);
        if (t.provenance) io.out(`  provenance: ${provenanceLine(t.provenance)}`);
      }
      if (t.status === 'error' && t.error) io.out(`  ${t.error}`);
      if (t.pr) io.out(`  pr: #${t.pr.number} ${t.pr.state} ${t.pr.url}`);
      if (t.pause) io.out(`  paused until ${t.pause.until} by ${t.pause.actor}: ${t.pause.reason}`);
      if (t.contested) io.out(`  contested since ${t.contested.since} (${t.contested.fields.join(', ')}): run driftwarden resume ${t.name} once fixed`);
      if (t.backoff) io.out(`  revert backoff: ${t.backoff.failures} failure(s)${t.backoff.until ? `, next try after ${t.backoff.until}` : ', waiting for new content'}: ${t.backoff.reason}`);
    }
    return EXIT.ok;
  } finally {
    history.close();
  }
}
