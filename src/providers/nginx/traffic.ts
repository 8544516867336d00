import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { joinPath } from '../../diff/tree.js';
import { TrafficTestError } from '../../errors.js';
import type { TrafficAdapter, TrafficInput, TrafficPlan } from '../provider.js';
import { expandIncludes, includeSource } from './includes.js';
import { parseNginx, type NginxDirective } from './lexer.js';

/** Main-context directives the test sets itself or leaves out (daemon, user, paths outside its folder). */
const DROPPED_MAIN = new Set(['user', 'pid', 'error_log', 'daemon', 'master_process', 'worker_processes', 'working_directory', 'lock_file', 'env', 'worker_rlimit_core', 'worker_rlimit_nofile', 'pcre_jit', 'thread_pool']);
/** Dropped anywhere: logs, temp and cache paths outside the folder, DNS, and TLS (the test speaks plain HTTP). */
const DROPPED = new Set(['access_log', 'error_log', 'resolver', 'resolver_timeout', 'ssl', 'http2_push', 'proxy_cache_path', 'fastcgi_cache_path', 'uwsgi_cache_path', 'scgi_cache_path', 'proxy_cache', 'fastcgi_cache', 'uwsgi_cache', 'scgi_cache', 'client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path', 'ssl_preread']);
const PASSES = new Set(['proxy_pass', 'grpc_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'memcached_pass']);
/** Includes kept when not expanded: type maps and parameter lists that come with nginx. */
const HARMLESS_INCLUDE = /(?:^|\/)(?:mime\.types|[a-z]*_?params)$/;
/** Upstream `server` parameters kept: what balancing depends on. */
const SERVER_PARAMETERS = new Set(['weight', 'max_fails', 'fail_timeout', 'backup', 'down', 'max_conns', 'slow_start']);

/**
 * The nginx traffic test's rewrite: includes from the proposed commit expanded, every `server`
 * block listening on one loopback port (no TLS), every upstream server and every proxied address
 * an echo server, and the process's own files (pid, logs, temp paths) in the test's folder.
 * Balancing settings (the method, weights, backup, down, max_fails) stay as written.
 */
export const nginxTraffic: TrafficAdapter = {
  async rewrite(input: TrafficInput): Promise<TrafficPlan> {
    let directives = parseNginx(input.text, input.origin);
    if (input.files) directives = (await expandIncludes(directives, input.configDir, includeSource(input.files))).directives;
    const rewrite = new Rewrite(input, upstreamNames(directives));
    const body = await rewrite.list(directives, '');
    const head = [
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'worker_processes 1;',
      `pid ${quote(join(input.dir, 'nginx.pid'))};`,
      `error_log ${quote(join(input.dir, 'error.log'))} warn;`,
    ];
    if (!directives.some((d) => d.name === 'events')) head.push('events {}');
    const config = join(input.dir, 'nginx.conf');
    writeFileSync(config, `${[...head, ...body].join('\n')}\n`);
    return { config, frontends: rewrite.frontends, notes: rewrite.notes };
  },
  command: (plan, dir, binary) => ({ cmd: binary, args: ['-p', dir, '-c', plan.config, '-e', join(dir, 'error.log'), '-g', 'daemon off;'] }),
};

/** Every upstream block's name, as the model names them (a repeated name gets ` #2`). */
function upstreamNames(list: NginxDirective[]): Map<NginxDirective, string> {
  const out = new Map<NginxDirective, string>();
  const seen = new Set<string>();
  const visit = (ds: NginxDirective[]): void => {
    for (const d of ds) {
      if (d.block && d.name === 'upstream') {
        const name = unique(seen, d.args[0] ?? '');
        out.set(d, name);
      } else if (d.block) visit(d.block);
    }
  };
  visit(list);
  return out;
}

function unique(seen: Set<string>, key: string): string {
  let name = key;
  for (let n = 2; seen.has(name); n++) name = `${key} #${n}`;
  seen.add(name);
  return name;
}

class Rewrite {
  readonly frontends: TrafficPlan['frontends'] = [];
  readonly notes: string[] = [];
  private readonly names: Set<string>;

  constructor(
    private readonly input: TrafficInput,
    private readonly upstreams: Map<NginxDirective, string>,
  ) {
    this.names = new Set([...upstreams.keys()].map((d) => d.args[0] ?? ''));
  }

  async list(list: NginxDirective[], context: string): Promise<string[]> {
    const out: string[] = [];
    for (const d of list) out.push(...(await this.directive(d, context)));
    return out;
  }

  private async directive(d: NginxDirective, context: string): Promise<string[]> {
    const where = `${d.file}:${d.line}`;
    if (context === '' && DROPPED_MAIN.has(d.name)) return [];
    if (DROPPED.has(d.name) || d.name.startsWith('ssl_') || d.name.startsWith('proxy_ssl_') || d.name.startsWith('grpc_ssl_')) return [];
    if (d.name === 'listen') return []; // the server block gets its own below
    if (d.name === 'include') {
      const path = d.args[0] ?? '';
      const absolute = isAbsolute(path) ? path : join(this.input.configDir, path);
      if (HARMLESS_INCLUDE.test(path) && existsSync(absolute)) return [line({ ...d, args: [absolute] })];
      this.notes.push(`${where}: include ${path} left out (not in the proposed commit; the test runs only what it can see)`);
      return [];
    }
    if (d.name === 'upstream' && d.block) return this.upstream(d);
    if (d.name === 'server' && d.block && (context === 'http' || context === 'stream' || context === '')) return this.server(d, context === 'stream' ? 'stream' : 'http');
    if (PASSES.has(d.name)) return [await this.pass(d, where)];
    if (d.raw !== undefined) return [line(d)];
    if (d.block) {
      const inner = await this.list(d.block, d.name === 'http' || d.name === 'stream' ? d.name : context === '' ? d.name : context);
      const extra = d.name === 'http' ? ['access_log off;', ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${quote(join(this.input.dir, `temp-${t}`))};`)] : [];
      return [`${head(d)} {`, ...[...extra, ...inner].map(indent), '}'];
    }
    return [line(d)];
  }

  private async upstream(d: NginxDirective): Promise<string[]> {
    const name = this.upstreams.get(d) ?? d.args[0] ?? '';
    const pool = joinPath('upstreams', name);
    const seen = new Set<string>();
    const body: string[] = [];
    for (const s of d.block ?? []) {
      if (s.name !== 'server') {
        if (DROPPED.has(s.name)) continue;
        body.push(s.block ? `${head(s)} { }` : line(s));
        continue;
      }
      const key = unique(seen, s.args[0] ?? '');
      const port = await this.input.echo(pool, key);
      const params = s.args.slice(1).filter((a) => SERVER_PARAMETERS.has(a.split('=')[0] as string));
      body.push(line({ ...s, args: [`127.0.0.1:${port}`, ...params] }));
    }
    return [`${head(d)} {`, ...body.map(indent), '}'];
  }

  private async server(d: NginxDirective, context: 'http' | 'stream'): Promise<string[]> {
    const port = await this.input.port();
    const block = d.block ?? [];
    const serverName = block.find((x) => x.name === 'server_name')?.args[0];
    const listen = block.find((x) => x.name === 'listen')?.args[0] ?? (context === 'stream' ? '?' : '80');
    this.frontends.push({ name: serverName && serverName !== '_' ? `${serverName} ${listen}` : listen, port, path: context === 'stream' ? '/' : requestPath(block, this.names) });
    const inner = await this.list(block, context);
    return [`${head(d)} {`, indent(`listen 127.0.0.1:${port};`), ...inner.map(indent), '}'];
  }

  /** proxy_pass and its kin: an upstream's name stays (its servers are echo servers); an address becomes one. */
  private async pass(d: NginxDirective, where: string): Promise<string> {
    const target = d.args[0] ?? '';
    if (target.includes('$')) throw new TrafficTestError(`${where}: ${d.name} ${target} names its server with a variable; the traffic test cannot tell where it goes (turn the test off for this target)`);
    const m = /^(?:([a-z]+):\/\/)?([^/]+)(.*)$/.exec(target);
    if (!m) throw new TrafficTestError(`${where}: ${d.name} ${target}: an address the traffic test cannot read`);
    const [, scheme, host = '', rest = ''] = m;
    const plain = scheme === 'https' ? 'http' : scheme === 'grpcs' ? 'grpc' : scheme;
    const prefix = plain ? `${plain}://` : '';
    if (this.names.has(host)) return line({ ...d, args: [`${prefix}${host}${rest}`, ...d.args.slice(1)] });
    if (host.startsWith('unix:')) throw new TrafficTestError(`${where}: ${d.name} to a unix socket; the traffic test cannot stand in for it`);
    const port = await this.input.echo('(direct)', host);
    return line({ ...d, args: [`${prefix}127.0.0.1:${port}${rest}`, ...d.args.slice(1)] });
  }
}

/** The first location that proxies to an upstream, with a plain prefix or an exact path; else `/`. */
function requestPath(block: NginxDirective[], upstreams: ReadonlySet<string>): string {
  for (const d of block) {
    if (d.name !== 'location' || !d.block) continue;
    const proxied = d.block.some((x) => PASSES.has(x.name) && upstreams.has(/^(?:[a-z]+:\/\/)?([^/]+)/.exec(x.args[0] ?? '')?.[1] ?? ''));
    if (!proxied) continue;
    const [first = '', second] = d.args;
    if ((first === '=' || first === '^~') && second?.startsWith('/')) return second;
    if (first.startsWith('/')) return first;
  }
  return '/';
}

function head(d: NginxDirective): string {
  return [d.name, ...d.args.map(quote)].join(' ');
}

function line(d: NginxDirective): string {
  if (d.raw !== undefined) return `${head(d)} {${d.raw}}`;
  return `${head(d)};`;
}

function indent(text: string): string {
  return `    ${text}`;
}

/** An argument as nginx reads it back: bare when it can be, else double-quoted with escapes. */
function quote(arg: string): string {
  if (arg !== '' && /^[^\s;{}#"'\\]+$/.test(arg)) return arg;
  return `"${arg.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

