// Config generators for bench/compare.mjs: one pool model (5,000 pools x 4 servers by default)
// rendered as haproxy.cfg or nginx.conf, and copies of it with a share of the lines changed.
// Deterministic (seeded), so every run compares the same texts.

import { rng } from './rng.mjs';

const pad = (i) => String(i).padStart(5, '0');
const HAPROXY_ALGORITHMS = ['roundrobin', 'leastconn', 'source', 'uri'];
const NGINX_METHODS = ['least_conn', 'ip_hash', 'hash $request_uri consistent', 'random two least_conn'];

/**
 * The shared model: pools with an algorithm, an optional timeout and four servers.
 * `algorithm: null` is nginx's default (round robin, no method line); HAProxy always writes one.
 */
export function poolModel(pools, serversPerPool) {
  return Array.from({ length: pools }, (_, i) => ({
    name: `pool_${pad(i)}`,
    algorithm: i % 2 === 0 ? HAPROXY_ALGORITHMS[(i / 2) % HAPROXY_ALGORITHMS.length] : null,
    timeout: i % 5 === 0 ? '30s' : null,
    servers: Array.from({ length: serversPerPool }, (_, s) => ({
      name: `s${s + 1}`,
      address: `10.${1 + (i >> 8) % 200}.${i & 255}.${10 + s}:8080`,
      weight: 10 + s,
      inter: '2s',
    })),
  }));
}

/**
 * Layout of a rendering: the indent of nested lines, and a comment put after each unindented
 * line (the pathological pair needs every line to differ, even `global` and `}`).
 */
const PLAIN = { indent: '    ', tag: '' };
export const ODD_LAYOUT = { indent: '  ', tag: ' # live' };

/** haproxy.cfg: global, defaults, one frontend, then `backend` + `balance` [+ `timeout server`] + servers. */
export function renderHaproxy(model, { indent, tag } = PLAIN) {
  const out = [`global${tag}`, `${indent}maxconn 50000`, `${indent}log stdout format raw local0`, `defaults${tag}`, `${indent}mode http`,
    `${indent}timeout connect 5s`, `${indent}timeout client 30s`, `${indent}timeout server 30s`, `frontend fe_main${tag}`,
    `${indent}bind :80`, `${indent}default_backend ${model[0]?.name ?? 'none'}`];
  for (const pool of model) {
    out.push(`backend ${pool.name}${tag}`);
    out.push(`${indent}balance ${pool.algorithm ?? 'roundrobin'}`);
    if (pool.timeout) out.push(`${indent}timeout server ${pool.timeout}`);
    for (const s of pool.servers) out.push(`${indent}server ${s.name} ${s.address} weight ${s.weight} check inter ${s.inter}`);
  }
  return `${out.join('\n')}\n`;
}

/** nginx.conf: `http {` with one `upstream` block per pool and a server block proxying to a few of them. */
export function renderNginx(model, { indent, tag } = PLAIN) {
  const i2 = indent + indent;
  const out = [`events {${tag}`, `${indent}worker_connections 1024;`, `}${tag}`, `http {${tag}`];
  for (const pool of model) {
    out.push(`${indent}upstream ${pool.name} {`);
    if (pool.algorithm) out.push(`${i2}${nginxMethod(pool.algorithm)};`);
    for (const s of pool.servers) out.push(`${i2}server ${s.address} weight=${s.weight} max_fails=3 fail_timeout=${pool.timeout ?? '10s'};`);
    out.push(`${indent}}`);
  }
  out.push(`${indent}server {`, `${i2}listen 80;`, `${i2}server_name bench.example.com;`);
  for (const pool of model.slice(0, 10)) out.push(`${i2}location /${pool.name}/ { proxy_pass http://${pool.name}; }`);
  out.push(`${indent}}`, `}${tag}`);
  return `${out.join('\n')}\n`;
}

/** The model's algorithm names mapped onto nginx methods, so both renderings change alike. */
function nginxMethod(algorithm) {
  const i = HAPROXY_ALGORITHMS.indexOf(algorithm);
  return i >= 0 ? NGINX_METHODS[i] : algorithm;
}

/**
 * Every line a variant may change, as [pool index, what]: the algorithm line, the timeout
 * line, and each server line. Section headers and braces stay, so pool names keep matching.
 */
function changeableLines(model) {
  const out = [];
  model.forEach((pool, p) => {
    if (pool.algorithm) out.push([p, 'algorithm']);
    if (pool.timeout) out.push([p, 'timeout']);
    pool.servers.forEach((_, s) => out.push([p, 'server', s]));
  });
  return out;
}

/** Realistic edits: a new balancing algorithm, a longer timeout, a server's weight, address or check interval. */
function applyChange(pool, what, s, n) {
  if (what === 'algorithm') pool.algorithm = HAPROXY_ALGORITHMS[(HAPROXY_ALGORITHMS.indexOf(pool.algorithm) + 1) % HAPROXY_ALGORITHMS.length];
  else if (what === 'timeout') pool.timeout = '45s';
  else {
    const server = pool.servers[s];
    const kind = n % 3;
    if (kind === 0) server.weight += 5;
    else if (kind === 1) server.address = server.address.replace(/^10\./, '172.');
    else server.inter = '3s';
  }
}

/**
 * A copy of the model with `count` changeable lines edited, spread over the file by a seeded
 * sample. Returns the copy and how many lines changed.
 */
export function changedModel(model, count, seed) {
  const copy = structuredClone(model);
  const lines = changeableLines(copy);
  const random = rng(seed);
  // Partial Fisher-Yates: the first `count` entries are a uniform sample without repeats.
  const n = Math.min(count, lines.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (lines.length - i));
    [lines[i], lines[j]] = [lines[j], lines[i]];
    const [p, what, s] = lines[i];
    applyChange(copy[p], what, s, i);
  }
  return { model: copy, changed: n };
}

/** How many lines of the model a variant can change (every algorithm, timeout and server line). */
export function changeableCount(model) {
  return changeableLines(model).length;
}

/**
 * The pathological live side: every pool renamed, every server changed, every line indented
 * differently (so not one line is equal to an approved line), and pools and servers shuffled.
 */
export function pathologicalModel(model, seed) {
  const random = rng(seed);
  const shuffle = (list) => {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  };
  const copy = structuredClone(model).map((pool, p) => {
    pool.name = `edge_${pad(p)}`;
    pool.algorithm = pool.algorithm === 'random' ? 'leastconn' : 'random';
    pool.timeout = '90s';
    pool.servers.forEach((s, i) => {
      s.name = `node${i + 1}`;
      s.address = s.address.replace(/^10\./, '192.');
      s.weight += 1;
      s.inter = '5s';
    });
    shuffle(pool.servers);
    return pool;
  });
  return shuffle(copy);
}
