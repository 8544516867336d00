import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { formatMs, parseDurationMs } from '../config/duration.js';
import { UsageError } from '../errors.js';
import { HistoryStore } from '../history/store.js';
import { selectTargets } from '../reconcile/pass.js';
import { acquireLock } from '../state/lock.js';
import { cliActor, NOTIFY_DEADLINE_MS, type GlobalOptions } from './context.js';
import { Notifier } from '../notify/notifier.js';
import { fromEvent } from '../notify/message.js';
import { silentLogger } from '../log/logger.js';
import { EXIT, JSON_SCHEMA_VERSION, printJson, type Io } from './io.js';

/** `driftwarden pause TARGET --for 4h --reason TEXT`: still checked and reported, nothing applied. */
export async function pauseCommand(io: Io, global: GlobalOptions, name: string, opts: { for?: string; reason?: string; json?: boolean }, now = new Date()): Promise<number> {
  const ms = opts.for ? parseDurationMs(opts.for) : undefined;
  if (!ms) throw new UsageError(`--for takes a duration such as 30m, 4h or 2d; got ${JSON.stringify(opts.for ?? '')}`);
  if (!opts.reason?.trim()) throw new UsageError('--reason is required: say why (it goes into history, e.g. --reason "incident 4711: manual weights")');
  return withHistory(global, name, 'pause', (history, notifier) => {
    const until = new Date(now.getTime() + ms).toISOString();
    const actor = cliActor();
    const state = history.state(name);
    const event = history.append({ type: 'target.paused', target: name, actor, reason: opts.reason as string, data: { until } }, { ...state, pause: { until, reason: opts.reason as string, actor }, lastSkip: null });
    notifier.enqueue(fromEvent(event));
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'pause', target: name, until, event: event.id });
    else io.out(`${name}: paused for ${formatMs(ms)}, until ${until}; still checked and reported, nothing is applied (driftwarden resume ${name} to end it)`);
    return EXIT.ok;
  });
}

/** `driftwarden resume TARGET`: ends a pause, and clears `contested` and any backoff. */
export async function resumeCommand(io: Io, global: GlobalOptions, name: string, opts: { reason?: string; json?: boolean }): Promise<number> {
  return withHistory(global, name, 'resume', (history, notifier) => {
    const state = history.state(name);
    const ended = [state.pause ? 'pause' : '', state.contested ? 'contested' : '', state.backoff ? 'backoff' : ''].filter(Boolean);
    const event = history.append(
      { type: 'target.resumed', target: name, actor: cliActor(), reason: opts.reason ?? `resumed by hand${ended.length ? ` (ended: ${ended.join(', ')})` : ''}`, data: { ended } },
      { ...state, pause: null, contested: null, backoff: null, reverts: [], lastSkip: null },
    );
    notifier.enqueue(fromEvent(event));
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'resume', target: name, ended, event: event.id });
    else io.out(`${name}: resumed${ended.length ? ` (ended: ${ended.join(', ')})` : ' (it was not paused)'}; handled by its mode again`);
    return EXIT.ok;
  });
}

async function withHistory(global: GlobalOptions, name: string, command: string, fn: (h: HistoryStore, n: Notifier) => number): Promise<number> {
  const config = loadConfig(global.config);
  selectTargets(config.targets, [name]);
  const lock = await acquireLock(join(config.stateDir, 'writer.lock'), command);
  const history = new HistoryStore(join(config.stateDir, 'history.db'));
  try {
    const notifier = new Notifier(history, config.notify, cliActor(), silentLogger);
    const code = fn(history, notifier);
    await notifier.drain(Date.now() + NOTIFY_DEADLINE_MS);
    return code;
  } finally {
    history.close();
    lock.release();
  }
}
