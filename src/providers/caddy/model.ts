import { normalizeText } from '../../diff/normalize.js';
import { canonicalJson, isObject, type ConfigTree, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { parseStructured } from '../../formats/structured.js';
import { canonicalDuration, isDurationKey } from './durations.js';

export const CADDY_VOCABULARY = { collections: { backends: 'route', frontends: 'server' }, algorithm: 'lb_policy' };
/** Caddy's selection policy when a reverse_proxy has no `load_balancing`. */
export const DEFAULT_POLICY = 'random';

/**
 * Caddy JSON into the shared model: each reverse_proxy handler becomes a backend named by its
 * server and route position (`public/0`), with its policy as `algorithm` and upstreams as servers;
 * each HTTP server becomes a frontend. The `admin` block is not compared (driftwarden keeps it).
 */
export function parseCaddyJson(text: string, origin: string): ConfigTree {
  const parsed = parseStructured(text, origin, 'json');
  const root = caddyModel(parsed.root);
  return { format: 'caddy', root, normalized: normalizeText(text), canonical: canonicalJson(root), lines: parsed.lines, vocabulary: CADDY_VOCABULARY };
}

export function caddyModel(config: TreeValue | null): TreeObject {
  const out: TreeObject = {};
  if (!isObject(config)) return out;
  const backends: TreeObject = {};
  const frontends: TreeObject = {};
  const apps = isObject(config.apps) ? { ...config.apps } : {};
  const http = isObject(apps.http) ? { ...apps.http } : undefined;
  if (http && isObject(http.servers)) {
    for (const [server, body] of Object.entries(http.servers)) {
      if (!isObject(body)) continue;
      const routes = Array.isArray(body.routes) ? body.routes.map((r, i) => route(r, `${server}/${i}`, backends)) : [];
      const { routes: _r, listen, ...rest } = body;
      frontends[server] = durations({ ...rest, listen: Array.isArray(listen) ? [...listen].map(String).sort() : (listen ?? []), routes });
    }
    delete http.servers;
    if (Object.keys(http).length > 0) apps.http = http;
    else delete apps.http;
  }
  for (const [key, value] of Object.entries(config)) if (key !== 'admin' && key !== 'apps') out[key] = durations(value);
  if (Object.keys(apps).length > 0) out.apps = durations(apps);
  if (Object.keys(backends).length > 0) out.backends = backends;
  if (Object.keys(frontends).length > 0) out.frontends = frontends;
  return out;
}

/** A route with its reverse_proxy handlers moved into `backends` and referenced by name. */
function route(value: TreeValue, name: string, backends: TreeObject): TreeValue {
  if (!isObject(value)) return value;
  const handle = Array.isArray(value.handle) ? value.handle : [];
  let n = 0;
  const refs = handle.map((h, j) => {
    if (!isObject(h)) return h;
    if (h.handler === 'reverse_proxy') {
      const id = n++ === 0 ? name : `${name}.${j}`;
      backends[id] = backend(h);
      return { handler: 'reverse_proxy', backend: id };
    }
    if (h.handler === 'subroute' && Array.isArray(h.routes)) return { ...h, routes: h.routes.map((r, k) => route(r, `${name}-${k}`, backends)) };
    return durations(h);
  });
  return { ...value, handle: refs };
}

function backend(h: TreeObject): TreeObject {
  const { handler: _h, upstreams, load_balancing, ...rest } = h;
  const lb = isObject(load_balancing) ? load_balancing : {};
  const { selection_policy, ...lbRest } = lb;
  const policy = isObject(selection_policy) ? selection_policy : {};
  const { policy: name, ...policyRest } = policy;
  const servers: TreeObject = {};
  for (const u of Array.isArray(upstreams) ? upstreams : []) {
    if (!isObject(u)) continue;
    const dial = String(u.dial ?? u.lookup_srv ?? '');
    // The same upstream listed twice gets twice the traffic: keep both.
    let address = dial;
    for (let n = 2; address in servers; n++) address = `${dial} #${n}`;
    servers[address] = durations({ address: dial, ...Object.fromEntries(Object.entries(u).filter(([k]) => k !== 'dial')) }) as TreeObject;
  }
  return {
    algorithm: typeof name === 'string' ? name : DEFAULT_POLICY,
    ...(Object.keys(policyRest).length > 0 ? { selection: durations(policyRest) } : {}),
    ...(durations(lbRest) as TreeObject),
    servers,
    ...(durations(rest) as TreeObject),
  };
}

/** Canonicalises duration-looking fields everywhere below a value. */
function durations(value: TreeValue): TreeValue {
  if (Array.isArray(value)) return value.map(durations);
  if (!isObject(value)) return value;
  const out: TreeObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = isDurationKey(k) ? (canonicalDuration(v) as TreeValue) : durations(v);
  return out;
}

