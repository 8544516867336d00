import type { Config } from '../config/types.js';
import type { HistoryStore } from '../history/store.js';

/** What `status --json` prints and `GET /status` serves: the last known state of every target. */
export function statusView(config: Config, history: HistoryStore, schemaVersion: number) {
  const targets = config.targets.map((t) => {
    const s = history.state(t.name);
    return {
      name: t.name,
      provider: t.provider,
      mode: t.mode,
      status: s.status,
      since: s.since,
      lastChecked: s.lastChecked,
      commit: s.commit,
      fingerprint: s.fingerprint,
      severity: s.severity,
      changeCount: s.changeCount,
      topChanges: s.topChanges,
      provenance: s.provenance,
      error: s.error,
      pr: s.pr ? { number: s.pr.number, url: s.pr.url, state: s.pr.state } : null,
      pause: s.pause,
      contested: s.contested,
      backoff: s.backoff,
    };
  });
  return { schemaVersion, command: 'status' as const, git: { stale: history.getMeta('git.stale') === 'true' }, targets };
}
