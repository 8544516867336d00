import { normalizeText } from '../../diff/normalize.js';
import { canonicalJson, joinPath, type ConfigTree, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { parseNginx, type NginxDirective } from './lexer.js';

export const NGINX_VOCABULARY = { collections: { upstreams: 'upstream', frontends: 'server' }, algorithm: 'method' };

/** Directives that pick an upstream's balancing method; none means round robin. */
const METHODS = new Set(['least_conn', 'ip_hash', 'hash', 'random', 'least_time', 'ntlm']);
/** Blocks keyed by their arguments (`location /api/`, `map $a $b`, `if (...)`). */
const KEYED_BLOCKS = new Set(['location', 'if', 'map', 'geo', 'split_clients', 'limit_except', 'match', 'types']);

/** Parses one nginx config into the shared model: upstreams with method and servers, frontends (server blocks). */
export function parseNginxModel(text: string, origin: string): ConfigTree {
  return nginxTree(parseNginx(text, origin), normalizeText(text), origin);
}

export function nginxTree(directives: NginxDirective[], normalized: string, origin?: string): ConfigTree {
  const lines = new Map<string, number>();
  const files = new Map<string, string>();
  const mark: Mark = (path, d, force = true) => {
    if (!force && lines.has(path)) return;
    lines.set(path, d.line);
    if (origin !== undefined && d.file !== origin) files.set(path, d.file);
    else files.delete(path);
  };
  const root: TreeObject = {};
  walk(directives, root, '', mark, root);
  return { format: 'nginx', root, normalized, canonical: canonicalJson(root), lines, files, vocabulary: NGINX_VOCABULARY };
}

/** Records the line (and the file, for an included one) of a path. */
type Mark = (path: string, d: NginxDirective, force?: boolean) => void;

/** `context` is where simple directives land; upstreams and server blocks go to top-level collections. */
function walk(list: NginxDirective[], context: TreeObject, path: string, mark: Mark, root: TreeObject): void {
  for (const d of list) {
    if (d.block && d.name === 'upstream') {
      const upstreams = (root.upstreams ??= {}) as TreeObject;
      const name = unique(upstreams, d.args[0] ?? '');
      const p = joinPath('upstreams', name);
      upstreams[name] = upstream(d, p, mark);
      mark(p, d);
    } else if (d.block && d.name === 'server' && (path === 'http' || path === 'stream' || path === '')) {
      const frontends = (root.frontends ??= {}) as TreeObject;
      const name = unique(frontends, frontendName(d.block, path));
      // A server block at the top level is an include fragment meant for http {}.
      const p = joinPath('frontends', name);
      const body: TreeObject = path === 'stream' ? { context: 'stream' } : {};
      walk(d.block, body, p, mark, root);
      for (const key of ['listen', 'server_name']) if (Array.isArray(body[key])) (body[key] as string[]).sort();
      frontends[name] = body;
      mark(p, d);
    } else if (d.block) {
      const key = KEYED_BLOCKS.has(d.name) ? `${d.name} ${d.args.join(' ')}`.trim() : d.name;
      const container = d.name === 'location' ? ((context.locations ??= {}) as TreeObject) : context;
      const slot = d.name === 'location' ? d.args.join(' ') : key;
      const p = d.name === 'location' ? joinPath(joinPath(path, 'locations'), slot) : joinPath(path, key);
      const body: TreeObject = d.raw !== undefined ? { lua: d.raw.trim() } : {};
      walk(d.block, body, p, mark, root);
      container[unique(container, slot)] = body;
      mark(p, d);
    } else {
      add(context, d.name, d.args.length === 0 ? true : d.args.join(' '));
      mark(joinPath(path, d.name), d, false);
    }
  }
}

function upstream(d: NginxDirective, path: string, mark: Mark): TreeObject {
  const out: TreeObject = { algorithm: 'round_robin', servers: {} };
  const servers = out.servers as TreeObject;
  for (const s of d.block ?? []) {
    if (METHODS.has(s.name)) {
      out.algorithm = [s.name, ...s.args].join(' ');
      mark(joinPath(path, 'algorithm'), s);
    } else if (s.name === 'server') {
      const address = unique(servers, s.args[0] ?? '');
      servers[address] = upstreamServer(s.args);
      const sp = joinPath(joinPath(path, 'servers'), address);
      mark(sp, s);
      for (const key of Object.keys(servers[address] as TreeObject)) mark(joinPath(sp, key), s);
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
