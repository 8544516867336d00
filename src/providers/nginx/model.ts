import { BlockCache, countNewlines, detached, type CachedBlock } from '../../diff/block-cache.js';
import { LineIndex } from '../../diff/lines.js';
import { normalizeText } from '../../diff/normalize.js';
import { joinPath, keyedObject, shareable, withLazyForms, type ConfigTree, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { parseNginx, type BlockReuse, type NginxDirective, type ReusedBlock } from './lexer.js';

export const NGINX_VOCABULARY = { collections: { upstreams: 'upstream', frontends: 'server' }, algorithm: 'method' };

/** Directives that pick an upstream's balancing method; none means round robin. */
const METHODS = new Set(['least_conn', 'ip_hash', 'hash', 'random', 'least_time', 'ntlm']);
/** Blocks keyed by their arguments (`location /api/`, `map $a $b`, `if (...)`). */
const KEYED_BLOCKS = new Set(['location', 'if', 'map', 'geo', 'split_clients', 'limit_except', 'match', 'types']);

/** Parses one nginx config into the shared model: upstreams with method and servers, frontends (server blocks). */
export function parseNginxModel(text: string, origin: string): ConfigTree {
  return nginxTree(parseNginxReusing(text, origin), () => normalizeText(text), origin, text);
}

/** parseNginx, skipping the upstream blocks kept from earlier parses: give `text` to nginxTree as `source`. */
export function parseNginxReusing(text: string, origin: string): NginxDirective[] {
  return parseNginx(text, origin, UPSTREAM_REUSE);
}

/**
 * The tree of a config's directives (includes already expanded). `source`: the text the
 * directives were parsed from with UPSTREAM_REUSE, whose upstream blocks are then kept in
 * `upstreamCache` (or taken from it, for those the parse skipped).
 */
export function nginxTree(directives: NginxDirective[], normalized: () => string, origin?: string, source?: string): ConfigTree {
  const lines = new LineIndex();
  const files = new Map<string, string>();
  const mark: Mark = (path, d, force = true) => {
    if (!force && lines.has(path)) return;
    lines.set(path, d.line);
    if (origin !== undefined && d.file !== origin) files.set(path, d.file);
    else if (files.size > 0) files.delete(path);
  };
  const root: TreeObject = {};
  // A top-level block named `upstreams` would write paths under `upstreams.` too: then every
  // upstream is built in place, its lines recorded one by one (as LineIndex.attach requires).
  const share = source !== undefined && !directives.some((d) => d.block && d.name === 'upstreams');
  walk(directives, root, '', { mark, root, lines, origin, source: share ? source : undefined });
  return withLazyForms({ format: 'nginx', root, lines, files, vocabulary: NGINX_VOCABULARY }, normalized);
}

/** Records the line (and the file, for an included one) of a path. */
type Mark = (path: string, d: NginxDirective, force?: boolean) => void;

/** What building a tree carries along. `source` is set when upstream blocks may be kept and reused. */
interface Build {
  mark: Mark;
  root: TreeObject;
  lines: LineIndex;
  origin: string | undefined;
  source: string | undefined;
}

/** `context` is where simple directives land; upstreams and server blocks go to top-level collections. */
function walk(list: NginxDirective[], context: TreeObject, path: string, build: Build): void {
  const { mark, root } = build;
  for (const d of list) {
    if (d.block && d.name === 'upstream') {
      const upstreams = (root.upstreams ??= keyedObject()) as TreeObject;
      const name = unique(upstreams, upstreamName(d));
      const p = joinPath('upstreams', name);
      upstreams[name] = upstreamOf(d, name, p, build);
      mark(p, d);
    } else if (d.block && d.name === 'server' && (path === 'http' || path === 'stream' || path === '')) {
      const frontends = (root.frontends ??= keyedObject()) as TreeObject;
      const name = unique(frontends, frontendName(d.block, path));
      // A server block at the top level is an include fragment meant for http {}.
      const p = joinPath('frontends', name);
      const body: TreeObject = path === 'stream' ? { context: 'stream' } : {};
      walk(d.block, body, p, build);
      for (const key of ['listen', 'server_name']) if (Array.isArray(body[key])) (body[key] as string[]).sort();
      frontends[name] = body;
      mark(p, d);
    } else if (d.block) {
      const key = KEYED_BLOCKS.has(d.name) ? `${d.name} ${d.args.join(' ')}`.trim() : d.name;
      const container = d.name === 'location' ? ((context.locations ??= keyedObject()) as TreeObject) : context;
      const slot = d.name === 'location' ? d.args.join(' ') : key;
      const p = d.name === 'location' ? joinPath(joinPath(path, 'locations'), slot) : joinPath(path, key);
      const body: TreeObject = d.raw !== undefined ? { lua: d.raw.trim() } : {};
      walk(d.block, body, p, build);
      container[unique(container, slot)] = body;
      mark(p, d);
    } else {
      add(context, d.name, d.args.length === 0 ? true : d.args.join(' '));
      mark(joinPath(path, d.name), d, false);
    }
  }
}

/** An upstream block parsed before (see BlockCache): its tree and lines. */
interface UpstreamBlock extends CachedBlock, ReusedBlock {
  /** Its name in the tree (after `unique`), and its directive's line then. */
  name: string;
  line: number;
  body: TreeObject;
  lines: LineIndex;
}

/** Room for the upstream blocks of a few big configs (both sides of several targets). */
const upstreamCache = new BlockCache<UpstreamBlock>(8_000_000);

/** Forgets the upstream blocks parsed so far (benchmarks measure a first parse with it). */
export function clearNginxCache(): void {
  upstreamCache.clear();
}

/** The parse side of upstreamCache: an upstream block whose whole text is the same as one kept. */
const UPSTREAM_REUSE: BlockReuse = {
  find(text, start, bodyStart) {
    // `slice(...) ===` compares memory at once; V8's startsWith goes a character at a time.
    return upstreamCache.get(text.slice(start, bodyStart))?.find((b) => text.slice(start, start + b.text.length) === b.text);
  },
};

/**
 * The tree of one upstream block: taken from the cache when the parse skipped it, built (and
 * kept, when its text is known and it stands alone) otherwise.
 */
function upstreamOf(d: NginxDirective, name: string, path: string, build: Build): TreeObject {
  const kept = d.reused as UpstreamBlock | undefined;
  if (kept && build.source !== undefined && kept.name === name) {
    build.lines.attach(path, kept.lines, d.line - kept.line);
    return kept.body;
  }
  // Skipped, but not reusable here (renamed by `unique`, or no sharing): read its text again.
  const directive = kept ? reread(kept, d) : d;
  if (build.source === undefined || !directive.span || !standsAlone(directive)) return upstream(directive, path, build.mark);
  const lines = new LineIndex();
  const body = shareable(upstream(directive, path, (p, x) => lines.set(p, x.line), lines));
  build.lines.attach(path, lines, 0);
  const { start, bodyStart, end } = directive.span;
  const text = build.source.slice(start, end);
  const newlinesInBody = countNewlines(text, bodyStart - start);
  upstreamCache.add(detached(build.source.slice(start, bodyStart)), { text: detached(text), length: text.length, newlinesInBody, name, line: directive.line, body, lines });
  return body;
}

/**
 * The upstream's name as written. A reused block's kept name is the same string, already used
 * as a property name: looking that one up in a collection of thousands is cheaper.
 */
function upstreamName(d: NginxDirective): string {
  const written = d.args[0] ?? '';
  const kept = (d.reused as UpstreamBlock | undefined)?.name;
  return kept === written ? kept : written;
}

/**
 * Whether an upstream's tree depends on its own text only: no block inside, no include, and no
 * directive that an include brought in (from another file).
 */
function standsAlone(d: NginxDirective): boolean {
  return (d.block ?? []).every((inner) => !inner.block && inner.name !== 'include' && inner.file === d.file);
}

/** A skipped block's directive, read again from its text (lines and file as if read in place). */
function reread(kept: UpstreamBlock, d: NginxDirective): NginxDirective {
  const [directive] = parseNginx(kept.text, d.file);
  const moved = (x: NginxDirective): NginxDirective => ({ ...x, line: x.line + d.line - 1, ...(x.block ? { block: x.block.map(moved) } : {}) });
  return moved(directive as NginxDirective);
}

/**
 * An upstream's tree. With `table`, each server line is one row of it (see LineIndex.table),
 * not a path per field: for upstreams read from the main file only, whose paths need no file.
 */
function upstream(d: NginxDirective, path: string, mark: Mark, table?: LineIndex): TreeObject {
  const out: TreeObject = { algorithm: 'round_robin', servers: keyedObject() };
  const servers = out.servers as TreeObject;
  const rows = table?.table(joinPath(path, 'servers'));
  for (const s of d.block ?? []) {
    if (METHODS.has(s.name)) {
      out.algorithm = [s.name, ...s.args].join(' ');
      mark(joinPath(path, 'algorithm'), s);
    } else if (s.name === 'server') {
      const address = unique(servers, s.args[0] ?? '');
      servers[address] = upstreamServer(s.args);
      if (rows) rows.add(address, s.line, servers[address] as TreeObject);
      else {
        const sp = joinPath(joinPath(path, 'servers'), address);
        mark(sp, s);
        for (const key of Object.keys(servers[address] as TreeObject)) mark(joinPath(sp, key), s);
      }
    } else {
      add(out, s.name, s.args.length === 0 ? true : s.args.join(' '));
      mark(joinPath(path, s.name), s);
    }
  }
  return out;
}

/** `server ADDRESS [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down] ...`, with nginx's defaults. */
export function upstreamServer(args: string[]): TreeObject {
  const out: TreeObject = { address: args[0] ?? '', weight: 1, max_fails: 1, fail_timeout: '10s', backup: false, down: false };
  const other: string[] = [];
  for (const arg of args.slice(1)) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? '' : arg.slice(eq + 1);
    if (key === 'weight' || key === 'max_fails' || key === 'max_conns') out[key] = Number.isFinite(Number(value)) ? Number(value) : value;
    else if (key === 'fail_timeout') out.fail_timeout = value;
    else if (key === 'backup' || key === 'down') out[key] = true;
    else other.push(arg);
  }
  if (other.length > 0) out.options = other.sort().join(' ');
  return out;
}

/** `www.example.com 443`: the lowest server name and listen address, so reordering them renames nothing. */
function frontendName(block: NginxDirective[], context: string): string {
  const listens = block.filter((d) => d.name === 'listen').map((d) => d.args[0] ?? '').sort();
  const names = block.filter((d) => d.name === 'server_name').flatMap((d) => d.args).sort();
  const listen = listens[0] ?? (context === 'stream' ? '?' : '80');
  return names[0] ? `${names[0]} ${listen}` : listen;
}

function unique(container: TreeObject, key: string): string {
  if (!(key in container)) return key;
  let n = 2;
  while (`${key} #${n}` in container) n++;
  return `${key} #${n}`;
}

/** A repeated directive becomes a list, in the order written (nginx applies some in order). */
function add(out: TreeObject, key: string, value: TreeValue): void {
  const existing = out[key];
  if (existing === undefined) out[key] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else out[key] = [existing, value];
}
