import { isAbsolute, join, dirname } from 'node:path';
import type { ZodApi } from '../../config/zod.js';
import { ObserveError, ParseError } from '../../errors.js';
import type { Provider } from '../provider.js';
import { missingBinaryMessage } from '../shared/exec.js';
import { applyNginx } from './apply.js';
import { nginx, parseNginxMessages, validateNginx } from './cli.js';
import { expandIncludes, includeSource, relativePattern } from './includes.js';
import { splitNginxDump } from './lexer.js';
import { nginxTree, parseNginxModel, parseNginxReusing } from './model.js';
import { normalizeText } from '../../diff/normalize.js';
import { readPid, startedAt } from './process.js';
import { narrowTexts } from '../../diff/narrow.js';
import { splitNginx } from './split.js';
import { nginxTraffic } from './traffic.js';

const options = (z: ZodApi) => ({
  /** The live main config file (nginx -c). */
  config: z.string().min(1),
  /** nginx -p: the prefix that relative paths in the config start from. */
  prefix: z.string().min(1).optional(),
  /** nginx -e: where nginx writes errors before the config's error_log applies. */
  errorLog: z.string().min(1).optional(),
  /** The master's pid file; default: the config's `pid`, else /run/nginx.pid. */
  pidFile: z.string().min(1).optional(),
  /** Shell command that reloads nginx; default `nginx -s reload` with the same -c/-p. */
  reload: z.string().min(1).optional(),
  binary: z.string().min(1).default('nginx'),
  verifyTimeoutMs: z.number().int().positive().max(300_000).default(15_000),
});

export type NginxOptions = {
  config: string;
  prefix?: string;
  errorLog?: string;
  pidFile?: string;
  reload?: string;
  binary: string;
  verifyTimeoutMs: number;
};

const HONEST_NOTE = 'open-source nginx cannot show the configuration its workers loaded: this is the configuration on disk (nginx -T)';

/** nginx: the configuration as `nginx -T` reads it, and the master process that serves it. */
export const nginxProvider: Provider<NginxOptions> = {
  kind: 'nginx',
  options,
  pathOptions: ['config', 'prefix', 'errorLog', 'pidFile'],
  watchOption: 'config',
  async observe(target) {
    const r = await nginx(target, ['-T', '-q']);
    if (r.spawnError) throw new ObserveError(missingBinaryMessage(target.binary, 'binary'));
    if (r.code !== 0) {
      const first = parseNginxMessages(r.stderr, target.config, target.config)[0];
      throw new ObserveError(`nginx -T refused the live config on disk (a reload would fail): ${first?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
    }
    const files = splitNginxDump(r.stdout);
    const main = files[0];
    if (!main) throw new ObserveError('nginx -T printed no configuration file');
    const configDir = dirname(target.config);
    const others = new Map<string, string>();
    for (const f of files.slice(1)) {
      const rel = relativePattern(f.file, configDir);
      if (rel !== undefined && !others.has(rel)) others.set(rel, f.text);
    }
    const pid = readPid(pidFileOf(target, main.text));
    const facts: Record<string, string | number> = { note: HONEST_NOTE, files: files.length };
    if (pid) {
      facts.masterPid = pid;
      const since = startedAt(pid);
      if (since) facts.masterStartedAt = since;
    } else facts.master = 'not running (no pid file)';
    return { text: main.text, origin: target.config, facts, files: others };
  },
  parse: (text, origin) => parseNginxModel(text, origin),
  async parseAll(text, origin, target, files, expand) {
    const { directives, expanded } = await expandIncludes(parseNginxReusing(text, origin), dirname(target.config), includeSource(files), expand);
    const tree = nginxTree(directives, () => normalizeText(text), origin, text);
    tree.included = expanded;
    return tree;
  },
  narrow: (approved, live) => narrowTexts(approved, live, splitNginx),
  validate: (text, target) => validateNginx(text, target, target.desired),
  traffic: nginxTraffic,
  apply: (target, approved, ctx) => applyNginx(target, approved, ctx, pidFileOf(target, approved)),
};

/** The pid file: the target's, else the config's `pid` directive (relative to the prefix), else /run/nginx.pid. */
export function pidFileOf(target: NginxOptions, configText: string): string {
  if (target.pidFile) return target.pidFile;
  let pid: string | undefined;
  try {
    const root = parseNginxModel(configText, target.config).root as Record<string, unknown>;
    pid = typeof root.pid === 'string' ? root.pid : undefined;
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
  }
  if (!pid) return '/run/nginx.pid';
  return isAbsolute(pid) ? pid : join(target.prefix ?? dirname(target.config), pid);
}
