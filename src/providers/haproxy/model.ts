import { LineIndex } from '../../diff/lines.js';
import { normalizeText } from '../../diff/normalize.js';
import { canonicalJson, joinPath, type ConfigTree, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { ParseError } from '../../errors.js';
import { lexHaproxy, quoteToken, type HaproxyLine, type HaproxySection } from './lexer.js';
import { parseServer, type ServerSpec } from './server.js';

/** Where each section type lands in the shared semantic model. */
const COLLECTIONS: Record<string, string> = {
  frontend: 'frontends', backend: 'backends', listen: 'listens', defaults: 'defaults', userlist: 'userlists',
  resolvers: 'resolvers', peers: 'peers', cache: 'caches', mailers: 'mailers', program: 'programs',
  'http-errors': 'http-errors', ring: 'rings', 'log-forward': 'log-forwards', 'fcgi-app': 'fcgi-apps',
  'crt-store': 'crt-stores', traces: 'traces',
};

/** Keywords whose order changes HAProxy's behaviour: kept as one ordered list per section. */
const ORDERED = new Set([
  'http-request', 'http-response', 'http-after-response', 'tcp-request', 'tcp-response', 'use_backend',
  'use-server', 'redirect', 'stick', 'stick-store-request', 'filter', '.if', '.elif', '.else', '.endif',
]);
const CHECKS = new Set(['http-check', 'tcp-check']);
/** Two-word keywords stored as a map under their first word (`timeout server 30s` -> timeout.server). */
const NESTED = new Set(['timeout', 'option', 'stats', 'errorfile', 'acl', 'hash-type', 'compression', 'capture']);

export const HAPROXY_VOCABULARY = { collections: { frontends: 'frontend', backends: 'backend', listens: 'listen', defaults: 'defaults' }, algorithm: 'balance' };

/** Parses haproxy.cfg into the shared semantic model (frontends, backends with algorithm and servers, ...). */
export function parseHaproxy(text: string, origin: string): ConfigTree {
  const sections = lexHaproxy(text, origin);
  const lines = new LineIndex();
  const root: TreeObject = {};
  const defaultsByName = new Map<string, HaproxySection>();
  let lastDefaults: HaproxySection | undefined;
  let unnamed = 0;
  for (const section of sections) {
    const collection = COLLECTIONS[section.type];
    const name = section.type === 'global' ? '' : section.name || (section.type === 'defaults' ? `(${++unnamed})` : '(unnamed)');
    const path = collection ? joinPath(collection, name) : 'global';
    const from = fromDefaults(section, defaultsByName) ?? lastDefaults;
    const body = buildSection(section, path, lines, from, origin);
    const target = collection ? ((root[collection] ??= {}) as TreeObject) : root;
    const key = collection ? name : 'global';
    if (collection && key in target) {
      throw new ParseError(origin, section.line, `${section.type} ${quoteToken(name)} is defined twice (first at line ${lines.get(path) ?? '?'}); HAProxy refuses duplicate names`);
    }
    target[key] = key in target ? { ...(target[key] as TreeObject), ...body } : body;
    lines.set(path, section.line);
    if (section.type === 'defaults') {
      lastDefaults = section;
      if (section.name) defaultsByName.set(section.name, section);
    }
  }
  return { format: 'haproxy', root, normalized: normalizeText(text), canonical: canonicalJson(root), lines, vocabulary: HAPROXY_VOCABULARY };
}

function fromDefaults(section: HaproxySection, named: Map<string, HaproxySection>): HaproxySection | undefined {
  const i = section.args.indexOf('from');
  const ref = i >= 0 ? section.args[i + 1] : undefined;
  return ref ? named.get(ref) : undefined;
}

function buildSection(section: HaproxySection, path: string, lines: LineIndex, defaults: HaproxySection | undefined, origin: string): TreeObject {
  const out: TreeObject = {};
  const set = (key: string, value: TreeValue, line: number) => {
    out[key] = value;
    lines.set(joinPath(path, key), line);
  };
  if (section.args.length > 0) set('address', section.args.filter((a, i, all) => a !== 'from' && all[i - 1] !== 'from').join(' '), section.line);
  const isProxy = section.type === 'backend' || section.type === 'listen';
  let defaultServer: ServerSpec | undefined = defaults ? defaultServerOf(defaults.lines) : undefined;
  const servers: { name: string; spec: TreeObject; line: number }[] = [];
  for (const { words, line } of section.lines) {
    const kw = words[0] ?? '';
    const args = words.slice(1);
    if (kw === 'balance') set('algorithm', args.join(' '), line);
    else if (kw === 'default-server') {
      defaultServer = parseServer('', args, defaultServer);
      set('default-server', args.join(' '), line);
    } else if (kw === 'server' && isProxy) {
      if (!args[1]) throw new ParseError(origin, line, `server ${quoteToken(args[0] ?? '')} has no address; expected: server NAME ADDRESS[:PORT] [options]`);
      servers.push({ name: args[0] ?? '', spec: parseServer(args[1], words.slice(3), defaultServer) as unknown as TreeObject, line });
    }
    else if (kw === 'bind') push(out, 'bind', args.join(' '), () => lines.set(joinPath(path, 'bind'), line));
    else if (ORDERED.has(kw)) push(out, 'rules', words.join(' '), () => lines.set(joinPath(path, 'rules'), line));
    else if (CHECKS.has(kw)) push(out, 'checks', words.join(' '), () => lines.set(joinPath(path, 'checks'), line));
    else if (kw === 'no' && args[0] === 'option') nested(out, 'option', args[1] ?? '', false, joinPath(path, 'option'), line, lines);
    else if (NESTED.has(kw) && args.length > 0) nested(out, kw, args[0] as string, args.length > 1 ? args.slice(1).join(' ') : true, joinPath(path, kw), line, lines);
    else if (kw in out) push(out, kw, args.join(' ') || true, () => undefined);
    else set(kw, args.length === 0 ? true : args.join(' '), line);
  }
  if (isProxy) {
    if (!('algorithm' in out)) out.algorithm = inherited(defaults, 'balance') ?? 'roundrobin';
    if (!('mode' in out)) out.mode = inherited(defaults, 'mode') ?? 'tcp';
    out.servers = Object.fromEntries(servers.map((s) => [s.name, s.spec]));
    // Server order matters only to `balance first`, where it is the order of use.
    if (String(out.algorithm).startsWith('first')) out.server_order = servers.map((s) => s.name);
    // A server line holds every field of its server: one group, not a path per field. No other
    // line of a section records a path under `servers.<name>`, as LineIndex.group requires.
    const serversPath = joinPath(path, 'servers');
    for (const s of servers) lines.group(joinPath(serversPath, s.name), s.line, s.spec);
  }
  for (const key of ['bind', 'log']) if (Array.isArray(out[key])) (out[key] as string[]).sort();
  return out;
}

function defaultServerOf(lines: HaproxyLine[]): ServerSpec | undefined {
  let spec: ServerSpec | undefined;
  for (const { words } of lines) if (words[0] === 'default-server') spec = parseServer('', words.slice(1), spec);
  return spec;
}

function inherited(defaults: HaproxySection | undefined, keyword: string): string | undefined {
  const line = defaults?.lines.filter((l) => l.words[0] === keyword).pop();
  return line ? line.words.slice(1).join(' ') : undefined;
}

function push(out: TreeObject, key: string, value: TreeValue, onFirst: () => void): void {
  const existing = out[key];
  if (existing === undefined) {
    out[key] = [value];
    onFirst();
  } else if (Array.isArray(existing)) existing.push(value);
  else out[key] = [existing, value];
}

function nested(out: TreeObject, kw: string, sub: string, value: TreeValue, path: string, line: number, lines: Map<string, number>): void {
  const map = (out[kw] && typeof out[kw] === 'object' && !Array.isArray(out[kw]) ? out[kw] : (out[kw] = {})) as TreeObject;
  const prev = map[sub];
  // `acl name ...` and `stats auth ...` may repeat: the values accumulate in order.
  map[sub] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  if (!lines.has(path)) lines.set(path, line);
  if (!lines.has(joinPath(path, sub))) lines.set(joinPath(path, sub), line);
}
