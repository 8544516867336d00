import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import type { ConfigTree } from '../../../src/diff/tree.js';
import { haproxyProvider } from '../../../src/providers/haproxy/index.js';
import { clearHaproxyCache } from '../../../src/providers/haproxy/model.js';
import { splitHaproxy } from '../../../src/providers/haproxy/split.js';
import { nginxProvider } from '../../../src/providers/nginx/index.js';
import { clearNginxCache } from '../../../src/providers/nginx/model.js';
import { compareConfigs, sha256 } from '../../../src/reconcile/compare.js';
import { rng } from '../../helpers/rng.js';

// Narrowing (src/diff/narrow.ts) must never change a comparison: for every pair, the comparison
// of the narrowed texts equals the comparison of the full texts, field for field.

const redactor = new Redactor(Buffer.alloc(32, 3));
type Kind = 'haproxy' | 'nginx';
const PROVIDERS = { haproxy: haproxyProvider, nginx: nginxProvider };

function parse(kind: Kind, text: string, origin: string): ConfigTree {
  return PROVIDERS[kind].parse(text, origin, {} as never) as ConfigTree;
}

/** The comparison as plain data (the lazy texts read), or the parse error's message. */
function compare(kind: Kind, approvedSource: string, liveSource: string, approved: string, live: string): unknown {
  let a: ConfigTree;
  let b: ConfigTree;
  try {
    a = parse(kind, approved, 'approved.cfg');
  } catch (err) {
    return { approvedError: (err as Error).message };
  }
  try {
    b = parse(kind, live, 'live.cfg');
  } catch (err) {
    return { liveError: (err as Error).message };
  }
  const c = compareConfigs(a, b, {
    rules: DEFAULT_SEVERITY_RULES,
    ignore: [],
    redactor,
    hashes: { approved: sha256(approvedSource), live: sha256(liveSource) },
    texts: { approved: approvedSource, live: liveSource },
  });
  return { ...c, approvedText: c.approvedText, liveText: c.liveText };
}

/** Checks narrowed === full for one pair; returns how many blocks were blanked (0: no narrowing). */
function check(kind: Kind, approved: string, live: string): number {
  const full = compare(kind, approved, live, approved, live);
  // A fresh start and a warm cache alike.
  clearHaproxyCache();
  clearNginxCache();
  const narrowed = PROVIDERS[kind].narrow?.(approved, live);
  if (narrowed) {
    expect(narrowed.approved.split('\n').length).toBe(approved.split('\n').length);
    expect(narrowed.live.split('\n').length).toBe(live.split('\n').length);
  }
  expect(compare(kind, approved, live, narrowed?.approved ?? approved, narrowed?.live ?? live)).toEqual(full);
  return narrowed?.blanked ?? 0;
}


interface Pool {
  name: string;
  algorithm: string;
  servers: { name: string; address: string; weight: number; down: boolean }[];
  comment: boolean;
}

function model(random: () => number, pools: number): Pool[] {
  return Array.from({ length: pools }, (_, i) => ({
    name: `p${i}`,
    algorithm: ['roundrobin', 'leastconn', 'source'][Math.floor(random() * 3)] as string,
    servers: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, s) => ({ name: `s${s}`, address: `10.0.${i}.${s}:80`, weight: 1 + s, down: false })),
    comment: false,
  }));
}

/** A random edit: change, remove, add, move, rename a pool, empty it, add a comment. */
function mutate(pools: Pool[], random: () => number): Pool[] {
  const out = structuredClone(pools);
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const i = Math.floor(random() * out.length);
    const pool = out[i] as Pool;
    switch (Math.floor(random() * 8)) {
      case 0: pool.algorithm = pool.algorithm === 'source' ? 'roundrobin' : 'source'; break;
      case 1: (pool.servers[0] as Pool['servers'][0]).weight += 3; break;
      case 2: out.splice(i, 1); break;
      case 3: out.splice(Math.floor(random() * out.length), 0, { ...structuredClone(pool), name: `new${e}${i}` }); break;
      case 4: out.splice(i, 1); out.splice(Math.floor(random() * (out.length + 1)), 0, pool); break;
      case 5: for (const s of pool.servers) s.down = true; break;
      case 6: pool.comment = true; break;
      default: pool.servers.reverse(); break;
    }
  }
  return out;
}

function haproxy(pools: Pool[], opts: { defaults?: string; secondDefaultsAt?: number } = {}): string {
  const out = ['global', '    maxconn 100', 'defaults', `    mode ${opts.defaults ?? 'http'}`, '    timeout server 30s', 'frontend fe', '    bind :80', '    default_backend p0'];
  pools.forEach((p, i) => {
    if (i === opts.secondDefaultsAt) out.push('defaults', '    mode tcp');
    out.push(`backend ${p.name}`, `    balance ${p.algorithm}`);
    if (p.comment) out.push('    # a comment');
    for (const s of p.servers) out.push(`    server ${s.name} ${s.address} weight ${s.down ? 0 : s.weight} check`);
    out.push('');
  });
  return `${out.join('\n')}\n`;
}

function nginx(pools: Pool[]): string {
  const out = ['events {', '    worker_connections 64;', '}', 'http {'];
  for (const p of pools) {
    out.push(`    upstream ${p.name} {`);
    if (p.algorithm !== 'roundrobin') out.push(`        ${p.algorithm === 'source' ? 'ip_hash' : 'least_conn'};`);
    if (p.comment) out.push('        # a comment');
    for (const s of p.servers) out.push(`        server ${s.address} weight=${s.weight}${s.down ? ' down' : ''};`);
    out.push('    }');
  }
  out.push('    server {', '        listen 80;', '        location / { proxy_pass http://p0; }', '    }', '}');
  return `${out.join('\n')}\n`;
}

describe('narrowing gives the comparison of the full texts', () => {
  for (const kind of ['haproxy', 'nginx'] as const) {
    it(`${kind}: for many generated pairs (changes, line numbers, order, fingerprint, texts)`, () => {
      const render = kind === 'haproxy' ? (p: Pool[]) => haproxy(p) : nginx;
      let narrowed = 0;
      for (let seed = 1; seed <= 150; seed++) {
        const random = rng(seed);
        const approved = model(random, 2 + Math.floor(random() * 12));
        const [a, b] = [render(approved), render(mutate(approved, random))];
        if (check(kind, a, b) > 0) narrowed++;
        // The same pair again, as a service's next pass: narrowed from the kept result, still the full comparison.
        check(kind, a, b);
      }
      // Not vacuous: most pairs were narrowed.
      expect(narrowed).toBeGreaterThan(100);
    });
  }

  it('haproxy: changed defaults are not narrowed, and still compared', () => {
    const pools = model(rng(7), 6);
    expect(haproxyProvider.narrow?.(haproxy(pools), haproxy(pools, { defaults: 'tcp' }))).toBeUndefined();
    check('haproxy', haproxy(pools), haproxy(pools, { defaults: 'tcp' }));
  });

  it('haproxy: a section moved after another defaults section is compared with those defaults', () => {
    const pools = model(rng(8), 6);
    const approved = `${haproxy(pools, { secondDefaultsAt: 4 })}`;
    // Same text for p2..p5, but p3 now sits after the second defaults (mode tcp) on the live side.
    const live = haproxy(pools, { secondDefaultsAt: 3 });
    expect(check('haproxy', approved, live)).toBeGreaterThan(0);
    expect((compare('haproxy', approved, live, approved, live) as { changes: { path: string }[] }).changes.map((c) => c.path)).toContain('backends.p3.mode');
  });

  it('haproxy: a duplicate section name is not narrowed: the parser still reports it', () => {
    const pools = model(rng(9), 5);
    const approved = haproxy(pools);
    const live = `${approved}backend p2\n    balance roundrobin\n`;
    expect(splitHaproxy(live)).toBeUndefined();
    expect(check('haproxy', approved, live)).toBe(0);
    expect(compare('haproxy', approved, live, approved, live)).toMatchObject({ liveError: expect.stringContaining('defined twice') });
  });

  it('haproxy: a section on one side only, a changed comment, a quoted header', () => {
    const pools = model(rng(10), 6);
    const approved = haproxy(pools);
    expect(check('haproxy', approved, haproxy(pools.slice(0, 4)))).toBeGreaterThan(0);
    expect(check('haproxy', approved, approved.replace('backend p3\n', 'backend p3 # moved here\n'))).toBeGreaterThan(0);
    const quoted = approved.replace('backend p3\n', 'backend "p3"\n');
    expect(haproxyProvider.narrow?.(approved, quoted)).toBeUndefined();
    check('haproxy', approved, quoted);
  });

  it('haproxy: an equal section that does not parse is still parsed (the error is reported)', () => {
    const pools = model(rng(11), 6);
    const bad = haproxy(pools).replace('backend p4\n', 'backend p4\n    http-request set-header X "open\n');
    const live = bad.replace('balance', 'balance  ');
    const full = compare('haproxy', bad, live, bad, live);
    expect(full).toMatchObject({ approvedError: expect.stringContaining('unterminated') });
    check('haproxy', bad, live);
    const noAddress = haproxy(pools).replace(/(backend p4\n[^\n]*\n)/, '$1    server lonely\n');
    check('haproxy', noAddress, noAddress.replace('p0:', 'p0 :'));
  });

  it('nginx: include, Lua, duplicate names and quoted names are not narrowed', () => {
    const pools = model(rng(12), 6);
    const approved = nginx(pools);
    const live = nginx(mutate(pools, rng(13)));
    expect(check('nginx', approved, live)).toBeGreaterThan(0);
    for (const variant of [
      live.replace('http {', 'http {\n    include mime.types;'),
      live.replace('http {', 'http {\n    upstream p1 { server 10.9.9.9; }'),
      live.replace('upstream p2 {', 'upstream "p2" {'),
      live.replace('http {', 'http {\n    init_by_lua_block { local x = "}" }'),
    ]) {
      expect(nginxProvider.narrow?.(approved, variant)).toBeUndefined();
      check('nginx', approved, variant);
    }
  });

  it('nginx: quotes, comments and ${} around upstreams are read as the parser reads them', () => {
    const pools = model(rng(14), 6);
    const approved = nginx(pools).replace('http {', 'http {\n    log_format main \'$remote_addr "}" ${x}\';  # upstream q { }\n    map $a ${b} { default 1; }');
    const live = approved.replace('upstream p3 {', 'upstream p3 { # note {\n').replace('worker_connections 64', 'worker_connections 65');
    expect(check('nginx', approved, live)).toBeGreaterThan(0);
    const broken = approved.replace('upstream p2 {\n', 'upstream p2 {\n        server x\n');
    check('nginx', broken, broken);
  });
});
