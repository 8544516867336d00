import { globMatches } from '../diff/glob.js';
import { poolsOf, type Pool } from '../diff/pools.js';
import { isObject, joinPath, type ConfigTree, type TreeObject, type TreeValue } from '../diff/tree.js';
import { targetGlobMatches } from './target-glob.js';

/** Server states a rule can forbid. `disabled` and `down` are the same thing in different words. */
export const SERVER_STATES = ['disabled', 'down', 'drain', 'backup'] as const;
export type ServerState = (typeof SERVER_STATES)[number];

/** One rule of the config's `policy:` list (see config/schema.ts). */
export interface PolicyRule {
  name: string;
  /** Glob over target names (`prod-*`); every target when absent. */
  targets?: string;
  allow?: { algorithm?: string[] };
  /**
   * `paths`: semantic path globs that must not be set; `values`: per path glob, words its value
   * must not hold (`"**.ssl_protocols": [TLSv1, TLSv1.1]`).
   */
  forbid?: { algorithm?: string[]; serverState?: ServerState[]; paths?: string[]; values?: Record<string, string[]> };
  /** `paths`: semantic path globs that must each match a setting (`defaults.*.timeout.server`). */
  require?: { minServersPerPool?: number; healthChecks?: boolean; paths?: string[] };
}

/** A place where a config breaks a rule. */
export interface PolicyViolation {
  rule: string;
  /** The pool in the load balancer's words (`backend api`, `upstream app`). */
  pool: string;
  /** Semantic path of what breaks it (`backends.api.algorithm`). */
  path: string;
  line?: number;
  /** The file of that line when it is not the target's main file (an nginx include). */
  file?: string;
  message: string;
}

export interface PolicyResult {
  /** Names of the rules that apply to this target. */
  rules: string[];
  violations: PolicyViolation[];
}

/**
 * Pure: the rules that apply to `target`, checked against a parsed config. Rules read the
 * semantic model every provider produces (pools with an algorithm and servers), so one rule
 * covers HAProxy, nginx and Caddy alike. A tree without semantics (a plain file) has no pools:
 * nothing to break.
 */
export function evaluatePolicy(rules: readonly PolicyRule[], target: string, tree: ConfigTree): PolicyResult {
  const applying = rules.filter((r) => r.targets === undefined || targetGlobMatches(r.targets, target));
  const violations: PolicyViolation[] = [];
  const pools = poolsOf(tree.root);
  let settings: Setting[] | undefined;
  for (const rule of applying) {
    for (const pool of pools) violations.push(...checkPool(rule, pool, tree));
    if (rule.require?.paths || rule.forbid?.paths || rule.forbid?.values) violations.push(...checkPaths(rule, tree, (settings ??= settingsOf(tree.root))));
  }
  return { rules: applying.map((r) => r.name), violations };
}

/** One node of a tree: its path and value. */
interface Setting {
  path: string;
  value: TreeValue;
}

/** Every node of a tree below the root, parents before children (list items as `path[i]`). */
function settingsOf(root: TreeValue | null): Setting[] {
  const out: Setting[] = [];
  const visit = (value: TreeValue, path: string): void => {
    if (path) out.push({ path, value });
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}[${i}]`));
    else if (isObject(value)) for (const [key, item] of Object.entries(value)) visit(item, joinPath(path, key));
  };
  if (root !== null) visit(root, '');
  return out;
}

/**
 * The path rules, on any tree with semantics (timeouts, TLS settings, anything the model holds):
 * a required glob matches no setting; a forbidden one matches one; a value holds a forbidden word
 * (words split at blanks, commas and colons, compared without case).
 */
function checkPaths(rule: PolicyRule, tree: ConfigTree, settings: Setting[]): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const at = (path: string, message: string): PolicyViolation => {
    const line = lineOf(tree, path);
    const file = tree.files?.get(path);
    return { rule: rule.name, pool: '', path, ...(line !== undefined ? { line } : {}), ...(file ? { file } : {}), message };
  };
  if (tree.root === null) return out;
  for (const glob of rule.require?.paths ?? []) {
    if (!settings.some((s) => globMatches(glob, s.path))) out.push(at('', `no setting matches ${glob} (required)`));
  }
  for (const glob of rule.forbid?.paths ?? []) {
    for (const s of settings) if (globMatches(glob, s.path)) out.push(at(s.path, `${s.path} is set (forbidden by ${glob})`));
  }
  for (const [glob, words] of Object.entries(rule.forbid?.values ?? {})) {
    const banned = new Set(words.map((w) => w.toLowerCase()));
    for (const s of settings) {
      if (isObject(s.value) || Array.isArray(s.value) || !globMatches(glob, s.path)) continue;
      const found = String(s.value).split(/[\s,:]+/).filter((w) => banned.has(w.toLowerCase()));
      if (found.length > 0) out.push(at(s.path, `${s.path}: ${[...new Set(found)].join(', ')} is forbidden`));
    }
  }
  return out;
}

/** The line of a path, else of the nearest parent the parser located (`bind[0]` -> `bind`). */
function lineOf(tree: ConfigTree, path: string): number | undefined {
  for (let p = path; p; ) {
    const line = tree.lines.get(p);
    if (line !== undefined) return line;
    const cut = Math.max(p.lastIndexOf('['), p.lastIndexOf('.'));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
  return undefined;
}

/**
 * An algorithm as rules compare it: its first word, lower case, without `_` and `-`, so that
 * HAProxy's `roundrobin`, nginx's and Caddy's `round_robin` are one name, as are `leastconn` and
 * `least_conn`; `hash $request_uri consistent` is `hash`, `random(2)` is `random`.
 */
export function algorithmName(algorithm: string): string {
  const first = /^[A-Za-z_-]+/.exec(algorithm.trim())?.[0] ?? algorithm.trim();
  return first.toLowerCase().replace(/[_-]/g, '');
}

function checkPool(rule: PolicyRule, pool: Pool, tree: ConfigTree): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const label = poolLabel(pool, tree);
  const at = (path: string, message: string): PolicyViolation => {
    const line = tree.lines.get(path) ?? tree.lines.get(pool.path);
    const file = tree.files?.get(path) ?? tree.files?.get(pool.path);
    return { rule: rule.name, pool: label, path, ...(line !== undefined ? { line } : {}), ...(file ? { file } : {}), message: `${label}: ${message}` };
  };
  const algorithm = typeof pool.body.algorithm === 'string' ? pool.body.algorithm : undefined;
  const word = tree.vocabulary?.algorithm ?? 'algorithm';
  const algorithmPath = joinPath(pool.path, 'algorithm');
  if (algorithm !== undefined && rule.allow?.algorithm && !rule.allow.algorithm.some((a) => algorithmName(a) === algorithmName(algorithm))) {
    out.push(at(algorithmPath, `${word} ${algorithm} is not allowed (allowed: ${rule.allow.algorithm.join(', ')})`));
  }
  if (algorithm !== undefined && rule.forbid?.algorithm?.some((a) => algorithmName(a) === algorithmName(algorithm))) {
    out.push(at(algorithmPath, `${word} ${algorithm} is forbidden`));
  }
  for (const { key, path, server } of pool.servers) {
    if (!isObject(server)) continue;
    const states = rule.forbid?.serverState ? statesOf(server).filter((s) => rule.forbid?.serverState?.includes(s)) : [];
    if (states.length > 0) out.push(at(path, `server ${key} is ${states.join(' and ')}`));
    if (rule.require?.healthChecks && !server.backup && !healthChecked(pool.body, server)) out.push(at(path, `server ${key} has no health check`));
  }
  const min = rule.require?.minServersPerPool;
  if (min !== undefined) {
    const serving = pool.servers.filter(({ server }) => isObject(server) && server.backup !== true && statesOf(server).length === 0).length;
    if (serving < min) out.push(at(pool.path, `${serving} server(s) able to take traffic, at least ${min} required (backup, disabled, down and weight-0 servers do not count)`));
  }
  return out;
}

/** `backend api`, `upstream app`: the pool in its load balancer's words. */
function poolLabel(pool: Pool, tree: ConfigTree): string {
  return `${tree.vocabulary?.collections[pool.collection] ?? pool.collection} ${pool.name}`;
}

/** The states a server is in: disabled/down (either word), drain (weight 0), backup. */
export function statesOf(server: TreeObject): ServerState[] {
  const out: ServerState[] = [];
  if (server.disabled === true || server.down === true || server.maintenance === true) out.push('disabled', 'down');
  if (server.drain === true || server.weight === 0) out.push('drain');
  if (server.backup === true) out.push('backup');
  return out;
}

/**
 * Whether a server is health checked: HAProxy's `check` on the server; nginx's passive check
 * (`max_fails` not 0; open-source nginx has no active one); Caddy's active health checks on the pool.
 */
function healthChecked(pool: TreeObject, server: TreeObject): boolean {
  if ('check' in server) return server.check === true;
  if ('max_fails' in server) return server.max_fails !== 0 && server.max_fails !== '0';
  return isObject(pool.health_checks) && isObject(pool.health_checks.active);
}
