import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObject, joinPath, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { ParseError, TrafficTestError } from '../../errors.js';
import { parseStructured } from '../../formats/structured.js';
import type { TrafficAdapter, TrafficInput, TrafficPlan } from '../provider.js';

/**
 * The Caddy traffic test's rewrite, on the config as Caddy JSON (a Caddyfile adapted first): the
 * admin API off, storage in the test's folder, only the http app; each server listening on one
 * loopback port without TLS or automatic HTTPS; every reverse_proxy upstream an echo server, named
 * as the model names pools (`srv0/0`, its subroutes `srv0/0-1`) and servers (their dial). A
 * reverse_proxy whose upstreams are found at run time (dynamic_upstreams), or that speaks FastCGI,
 * is refused: the test cannot stand in for it.
 */
export function caddyTraffic(toJson: (text: string, origin: string, target: Record<string, unknown>) => Promise<string>): TrafficAdapter {
  return {
    async rewrite(input: TrafficInput): Promise<TrafficPlan> {
      const config = parseJson(await toJson(input.text, input.origin, input.target), input.origin);
      const apps = isObject(config.apps) ? config.apps : {};
      const http = isObject(apps.http) ? apps.http : {};
      const servers = isObject(http.servers) ? http.servers : {};
      const rewrite = new Rewrite(input);
      const frontends: TrafficPlan['frontends'] = [];
      const out: TreeObject = {};
      for (const [name, body] of Object.entries(servers)) {
        if (!isObject(body)) continue;
        const port = await input.port();
        const routes = Array.isArray(body.routes) ? body.routes : [];
        for (const [i, r] of routes.entries()) await rewrite.route(r, `${name}/${i}`);
        const { tls_connection_policies: _tls, listener_wrappers: _wrappers, listen: _listen, automatic_https: _auto, ...rest } = body;
        out[name] = { ...rest, listen: [`127.0.0.1:${port}`], automatic_https: { disable: true } };
        frontends.push({ name, port, path: firstPath(routes), ...hostOf(routes) });
      }
      // Whatever else proxies (error routes, handlers the model does not name): echo servers too.
      await rewrite.rest(out);
      const notes = Object.keys(apps).filter((a) => a !== 'http').map((a) => `Caddy app ${a} left out`);
      const file = join(input.dir, 'caddy.json');
      writeFileSync(file, JSON.stringify({ admin: { disabled: true, config: { persist: false } }, storage: { module: 'file_system', root: join(input.dir, 'storage') }, apps: { http: { servers: out } } }));
      return { config: file, frontends, notes };
    },
    command: (plan, _dir, binary) => ({ cmd: binary, args: ['run', '--config', plan.config] }),
  };
}

class Rewrite {
  private readonly done = new Set<object>();

  constructor(private readonly input: TrafficInput) {}

  /** A route's handlers, named as caddyModel names them. */
  async route(value: TreeValue, name: string): Promise<void> {
    if (!isObject(value)) return;
    const handle = Array.isArray(value.handle) ? value.handle : [];
    let n = 0;
    for (const [j, h] of handle.entries()) {
      if (!isObject(h)) continue;
      if (h.handler === 'reverse_proxy') await this.proxy(h, joinPath('backends', n++ === 0 ? name : `${name}.${j}`));
      else if (h.handler === 'subroute' && Array.isArray(h.routes)) for (const [k, r] of h.routes.entries()) await this.route(r, `${name}-${k}`);
    }
  }

  /** Every reverse_proxy not met yet, anywhere below `value`. */
  async rest(value: TreeValue): Promise<void> {
    if (Array.isArray(value)) for (const v of value) await this.rest(v);
    else if (isObject(value)) {
      if (value.handler === 'reverse_proxy' && !this.done.has(value)) await this.proxy(value, '(direct)');
      for (const v of Object.values(value)) await this.rest(v);
    }
  }

  private async proxy(h: TreeObject, pool: string): Promise<void> {
    this.done.add(h);
    if (h.dynamic_upstreams !== undefined) throw new TrafficTestError(`${this.input.origin}: a reverse_proxy with dynamic upstreams; the traffic test cannot stand in for servers found at run time`);
    const transport = isObject(h.transport) ? h.transport : undefined;
    if (transport && transport.protocol !== 'http') throw new TrafficTestError(`${this.input.origin}: a reverse_proxy over ${String(transport.protocol)}; the traffic test speaks HTTP to its servers`);
    if (transport) {
      delete transport.tls;
      delete transport.versions;
    }
    const seen = new Set<string>();
    for (const u of Array.isArray(h.upstreams) ? h.upstreams : []) {
      if (!isObject(u)) continue;
      const dial = String(u.dial ?? u.lookup_srv ?? '');
      let key = dial;
      for (let k = 2; seen.has(key); k++) key = `${dial} #${k}`;
      seen.add(key);
      delete u.lookup_srv;
      u.dial = `127.0.0.1:${await this.input.echo(pool, key)}`;
    }
  }
}

/** The host the first route matches (requests carry it), when it names one. */
/** The config as an object; JSON that does not parse is a ParseError with its line (as `diff` reports it). */
function parseJson(json: string, origin: string): TreeObject {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    parseStructured(json, origin, 'json'); // throws the ParseError with the line
    throw new ParseError(origin, undefined, 'not valid JSON');
  }
  if (!isObject(value as TreeValue)) throw new ParseError(origin, 1, 'a Caddy config is a JSON object');
  return value as TreeObject;
}

function hostOf(routes: TreeValue[]): { host?: string } {
  const match = isObject(routes[0]) && Array.isArray(routes[0].match) ? routes[0].match[0] : undefined;
  const host = isObject(match) && Array.isArray(match.host) ? match.host.find((h) => typeof h === 'string' && !h.includes('*')) : undefined;
  return typeof host === 'string' ? { host } : {};
}

/** `/api/` for a first route matching `/api/*`; else `/`. */
function firstPath(routes: TreeValue[]): string {
  const match = isObject(routes[0]) && Array.isArray(routes[0].match) ? routes[0].match[0] : undefined;
  const path = isObject(match) && Array.isArray(match.path) ? match.path[0] : undefined;
  if (typeof path !== 'string' || !path.startsWith('/')) return '/';
  return path.endsWith('*') ? path.slice(0, -1) : path;
}
