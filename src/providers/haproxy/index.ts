import type { Finding } from '../../diff/pools.js';
import { readLiveFile } from '../shared/read-file.js';
import type { ZodApi } from '../../config/zod.js';
import { ObserveError } from '../../errors.js';
import type { Provider } from '../provider.js';
import { applyHaproxy } from './apply.js';
import { narrowTexts } from '../../diff/narrow.js';
import { parseHaproxy } from './model.js';
import { splitHaproxy } from './split.js';
import { haproxyTraffic } from './traffic.js';
import { runningFindings } from './running.js';
import { parseShowProc, readRunningState, runtimeCommand } from './runtime-api.js';
import { validateHaproxy } from './validate.js';

const options = (z: ZodApi) => ({
  /** The live haproxy.cfg. */
  config: z.string().min(1),
  /** Runtime API socket: `unix:/path` or `tcp:127.0.0.1:9999`. */
  runtimeApi: z.string().regex(/^(unix:|tcp:)/, 'unix:/path/to/admin.sock or tcp:127.0.0.1:9999').optional(),
  /** Master CLI socket of a master-worker HAProxy (`-S`): reload and reload counts. */
  masterSocket: z.string().regex(/^(unix:|tcp:)/, 'unix:/path/to/master.sock or tcp:127.0.0.1:9999').optional(),
  /** Shell command that reloads HAProxy when there is no master socket (e.g. `systemctl reload haproxy`). */
  reload: z.string().min(1).optional(),
  /** Pid file of the master process: SIGUSR2 reloads when there is neither master socket nor reload command. */
  pidFile: z.string().min(1).optional(),
  binary: z.string().min(1).default('haproxy'),
  /** How long apply waits for the new process to run the approved config. */
  verifyTimeoutMs: z.number().int().positive().max(300_000).default(15_000),
});

export type HaproxyOptions = {
  config: string;
  runtimeApi?: string;
  masterSocket?: string;
  reload?: string;
  pidFile?: string;
  binary: string;
  verifyTimeoutMs: number;
};

/** HAProxy: the config file, plus what the running process reports through its Runtime API. */
export const haproxyProvider: Provider<HaproxyOptions> = {
  kind: 'haproxy',
  options,
  pathOptions: ['config', 'pidFile', 'runtimeApi', 'masterSocket'],
  watchOption: 'config',
  async observe(target, ctx) {
    let text: string;
    try {
      text = await readLiveFile(target.config, ctx.signal);
    } catch (err) {
      throw new ObserveError(`cannot read HAProxy config ${target.config}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; check the target\'s `config`' : (err as Error).message}`, { cause: err });
    }
    const facts: Record<string, string | number> = {};
    const reloadFindings: Finding[] = [];
    if (target.masterSocket) {
      const proc = parseShowProc(await runtimeCommand(target.masterSocket, 'show proc'));
      if (proc) Object.assign(facts, { masterPid: proc.masterPid, reloads: proc.reloads, failedReloads: proc.failed });
      // The master's "failed" counts the reloads that failed since the last good one (a good
      // reload sets it back to 0): the workers still run an older config than the file.
      if (proc && proc.failed > 0) reloadFindings.push({ path: 'process.lastReload', kind: 'changed', scope: 'process', severity: 'high', approved: 'succeeded', live: `failed (${proc.failed} failed reload${proc.failed === 1 ? '' : 's'} since the last good one: the running process serves an older config than the file; see HAProxy's log)` });
    }
    if (!target.runtimeApi) return { text, origin: target.config, facts, ...(reloadFindings.length > 0 ? { findings: reloadFindings } : {}) };
    const { stat, servers } = await readRunningState(target.runtimeApi);
    const findings = [...reloadFindings, ...runningFindings(parseHaproxy(text, target.config).root, { stat, servers })];
    return { text, origin: target.config, facts, findings };
  },
  parse: (text, origin) => parseHaproxy(text, origin),
  narrow: (approved, live) => narrowTexts(approved, live, splitHaproxy),
  validate: (text, target) => validateHaproxy(text, target.binary, target.config, target.desired),
  traffic: haproxyTraffic,
  apply: (target, approved, ctx) => applyHaproxy(target, approved, ctx),
};
