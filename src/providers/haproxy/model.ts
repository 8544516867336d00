import { BlockCache, countNewlines, detached, type CachedBlock } from '../../diff/block-cache.js';
import { LineIndex } from '../../diff/lines.js';
import { normalizeText } from '../../diff/normalize.js';
import { joinPath, keyedObject, shareable, withLazyForms, type ConfigTree, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { ParseError } from '../../errors.js';
import { addLine, HaproxyRows, quoteToken, SECTION_KEYWORDS, type HaproxyLine, type HaproxySection } from './lexer.js';
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

/**
 * Parses haproxy.cfg into the shared semantic model (frontends, backends with algorithm and
 * servers, ...). A row whose text is the header of a section parsed before is looked up
 * before it is lexed: when the section's whole text is the same again, it is skipped unread.
 */
export function parseHaproxy(text: string, origin: string): ConfigTree {
  const builder = new TreeBuilder(origin);
  const rows = new HaproxyRows(text, origin);
  let current: { section: HaproxySection; header: string; start: number } | undefined;
  const close = (end: number): void => {
    if (current) builder.add(current.section, current.header, text.slice(current.start, end));
    current = undefined;
  };
  for (let header = rows.nextRowText(); header !== undefined; header = rows.nextRowText()) {
    const known = sectionCache.get(header);
    if (known) {
      // A known header is a section row: the section before it ends here.
      close(rows.nextStart);
      const reused = builder.reusable(known, rows);
      if (reused) {
        builder.addReused(reused, rows.line + 1);
        rows.skip(reused.text.length, reused.newlines);
        continue;
      }
    }
    const words = rows.next() as string[];
    if (words.length === 0) continue;
    if (!SECTION_KEYWORDS.has(words[0] as string)) {
      // A body row. A reused section ends where the next one starts, so `current` is unset only
      // before the first section, where addLine throws (a keyword outside of any section).
      addLine(current?.section, words, rows.line, origin);
      continue;
    }
    close(rows.rowStart);
    current = { section: addLine(undefined, words, rows.line, origin), header: text.slice(rows.rowStart, rows.rowEnd), start: rows.rowStart };
  }
  close(text.length);
  return builder.finish(text);
}

/** A section parsed before (see BlockCache): its tree and lines, for text starting with the same header. */
interface SectionBlock extends CachedBlock {
  /** The arguments of its header, and the defaults section it inherited from (see defaultsId). */
  args: string[];
  defaults: number;
  newlines: number;
  /** Its header's line then; its lines move by the difference. */
  line: number;
  type: string;
  collection: string;
  name: string;
  path: string;
  body: TreeObject;
  lines: LineIndex;
}

/**
 * Defaults sections by text, as small numbers: a section's cache entry names the defaults it
 * was built with, and comparing numbers is cheaper than comparing texts for every section.
 * Numbers are never reused, so forgetting old ones (the map is bounded) cannot mismatch.
 */
const defaultsIds = new Map<string, number>();
let nextDefaultsId = 1;

function defaultsId(text: string): number {
  let id = defaultsIds.get(text);
  if (id === undefined) {
    if (defaultsIds.size >= 1_000) defaultsIds.clear();
    id = nextDefaultsId++;
    defaultsIds.set(detached(text), id);
  }
  return id;
}

/** Room for the sections of a few big configs (both sides of several targets). */
const sectionCache = new BlockCache<SectionBlock>(8_000_000);

const isKnownHeader = (row: string): boolean => sectionCache.get(row) !== undefined;

/** Forgets the sections parsed so far (benchmarks measure a first parse with it). */
export function clearHaproxyCache(): void {
  sectionCache.clear();
}

/**
 * Builds the tree a section at a time, as the rows are read. A problem found while building is
 * thrown only once the whole file has lexed: a lexing error anywhere in the file comes first,
 * as it did when the file was lexed before anything was built.
 *
 * Sections other than global and defaults are built on their own (their paths are their own:
 * `backends.<name>...`), so they are kept in `sectionCache` and reused, frozen, whenever the
 * same text comes again with the same defaults: the approved and live trees then share every
 * unchanged section, which compare and canonicalJson skip over.
 */
class TreeBuilder {
  private readonly lines = new LineIndex();
  private readonly root: TreeObject = {};
  private readonly defaultsByName = new Map<string, HaproxySection>();
  private readonly defaultsIdOf = new Map<HaproxySection, number>();
  private lastDefaults: HaproxySection | undefined;
  private unnamed = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly origin: string) {}

  /**
   * A section built before whose whole text starts at the next row, with the same defaults,
   * and is followed by another section (or the end): the same section as then.
   */
  reusable(candidates: readonly SectionBlock[], rows: HaproxyRows): SectionBlock | undefined {
    const { text, nextStart: at } = rows;
    for (let i = candidates.length - 1; i >= 0; i--) {
      const b = candidates[i] as SectionBlock;
      // `slice(...) ===` compares memory at once; V8's startsWith goes a character at a time.
      if (b.defaults === this.defaultsOf(b.args) && text.slice(at, at + b.text.length) === b.text && rows.sectionBoundaryAt(at + b.text.length, isKnownHeader)) {
        return b;
      }
    }
    return undefined;
  }

  add(section: HaproxySection, header: string, text: string): void {
    if (this.failure) return;
    try {
      if (isolated(section.type)) this.buildIsolated(section, header, text);
      else this.buildInPlace(section, text);
    } catch (error) {
      this.failure = { error };
    }
  }

  addReused(block: SectionBlock, line: number): void {
    if (this.failure) return;
    try {
      this.insert(block.type, block.collection, block.name, block.path, block.body, block.lines, line, line - block.line);
    } catch (error) {
      this.failure = { error };
    }
  }

  finish(text: string): ConfigTree {
    if (this.failure) throw this.failure.error;
    const { root, lines } = this;
    return withLazyForms({ format: 'haproxy', root, lines, vocabulary: HAPROXY_VOCABULARY }, () => normalizeText(text));
  }

  /** The defaults section (its id) a section with these header arguments inherits from; 0 for none. */
  private defaultsOf(args: string[]): number {
    const from = fromDefaults(args, this.defaultsByName) ?? this.lastDefaults;
    return from ? (this.defaultsIdOf.get(from) ?? 0) : 0;
  }

  private buildIsolated(section: HaproxySection, header: string, text: string): void {
    const collection = COLLECTIONS[section.type] as string;
    const name = section.name || '(unnamed)';
    const path = joinPath(collection, name);
    const from = fromDefaults(section.args, this.defaultsByName) ?? this.lastDefaults;
    const lines = new LineIndex();
    const body = shareable(buildSection(section, path, lines, from, this.origin));
    const block = { text: detached(text), args: section.args, defaults: this.defaultsOf(section.args), newlines: countNewlines(text), line: section.line, type: section.type, collection, name, path, body, lines };
    sectionCache.add(detached(header), block);
    this.insert(section.type, collection, name, path, body, lines, section.line, 0);
  }

  /** Adds a section's body under its collection, and its lines moved by `offset`. */
  private insert(type: string, collection: string, name: string, path: string, body: TreeObject, sectionLines: LineIndex, line: number, offset: number): void {
    const target = (this.root[collection] ??= keyedObject()) as TreeObject;
    if (name in target) {
      throw new ParseError(this.origin, line, `${type} ${quoteToken(name)} is defined twice (first at line ${this.lines.get(path) ?? '?'}); HAProxy refuses duplicate names`);
    }
    target[name] = body;
    this.lines.attach(path, sectionLines, offset);
    this.lines.set(path, line);
  }

  /** global and defaults: built into the tree directly (global sections merge, defaults are numbered). */
  private buildInPlace(section: HaproxySection, text: string): void {
    const { root, lines, origin } = this;
    const collection = COLLECTIONS[section.type];
    const name = section.type === 'global' ? '' : section.name || (section.type === 'defaults' ? `(${++this.unnamed})` : '(unnamed)');
    const path = collection ? joinPath(collection, name) : 'global';
    const from = fromDefaults(section.args, this.defaultsByName) ?? this.lastDefaults;
    const body = buildSection(section, path, lines, from, origin);
    const target = collection ? ((root[collection] ??= keyedObject()) as TreeObject) : root;
    const key = collection ? name : 'global';
    if (collection && key in target) {
      throw new ParseError(origin, section.line, `${section.type} ${quoteToken(name)} is defined twice (first at line ${lines.get(path) ?? '?'}); HAProxy refuses duplicate names`);
    }
    target[key] = key in target ? { ...(target[key] as TreeObject), ...body } : body;
    lines.set(path, section.line);
    if (section.type === 'defaults') {
      this.lastDefaults = section;
      this.defaultsIdOf.set(section, defaultsId(text));
      if (section.name) this.defaultsByName.set(section.name, section);
    }
  }
}

/** Sections whose tree depends only on their own text and their defaults: all but global and defaults. */
function isolated(type: string): boolean {
  return type !== 'global' && type !== 'defaults' && COLLECTIONS[type] !== undefined;
}

function fromDefaults(args: string[], named: Map<string, HaproxySection>): HaproxySection | undefined {
  const i = args.indexOf('from');
  const ref = i >= 0 ? args[i + 1] : undefined;
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
    // Server lines are most of a big config: read their words in place, without copying them.
    if (kw === 'server' && isProxy) {
      if (!words[2]) throw new ParseError(origin, line, `server ${quoteToken(words[1] ?? '')} has no address; expected: server NAME ADDRESS[:PORT] [options]`);
      servers.push({ name: words[1] ?? '', spec: parseServer(words[2], words.slice(3), defaultServer) as unknown as TreeObject, line });
      continue;
    }
    // `server-template PREFIX N|A-B ADDRESS [options]`: the servers PREFIX<A>..PREFIX<B>, as the
    // running process names them (their addresses come from DNS at run time).
    if (kw === 'server-template' && isProxy) {
      for (const name of templateNames(words, origin, line)) servers.push({ name, spec: parseServer(words[3] as string, words.slice(4), defaultServer) as unknown as TreeObject, line });
      continue;
    }
    const args = words.slice(1);
    if (kw === 'balance') set('algorithm', args.join(' '), line);
    else if (kw === 'default-server') {
      defaultServer = parseServer('', args, defaultServer);
      set('default-server', args.join(' '), line);
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
    // A server line holds every field of its server: one table row, not a path per field. No
    // other line of a section records a path under `servers.<name>`, as LineIndex.table requires.
    if (servers.length > 0) {
      const table = lines.table(joinPath(path, 'servers'));
      for (const s of servers) table.add(s.name, s.line, s.spec);
    }
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

/** The names a `server-template` line stands for; a bad count or range is a ParseError with its line. */
function templateNames(words: readonly string[], origin: string, line: number): string[] {
  const [, prefix, count, address] = words;
  const usage = 'expected: server-template PREFIX NUM|FIRST-LAST ADDRESS[:PORT] [options]';
  if (!prefix || !count || !address) throw new ParseError(origin, line, `server-template needs a prefix, a count and an address; ${usage}`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(count);
  const first = m ? (m[2] === undefined ? 1 : Number(m[1])) : NaN;
  const last = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || first < 1 || last < first || last - first >= 10_000) throw new ParseError(origin, line, `server-template count ${quoteToken(count)} is not a number or a range FIRST-LAST of at most 10,000 servers; ${usage}`);
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(`${prefix}${i}`);
  return out;
}
