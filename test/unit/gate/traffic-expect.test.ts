import { describe, expect, it } from 'vitest';
import { poolsOf, type Pool } from '../../../src/diff/pools.js';
import { judgePool, pct, promiseOf, type TrafficPromise } from '../../../src/gate/traffic/expect.js';
import { parseHaproxy } from '../../../src/providers/haproxy/model.js';
import { parseNginxModel } from '../../../src/providers/nginx/model.js';

/** The one pool of an HAProxy backend `api` with these lines in its body. */
function haproxyPool(...body: string[]): Pool {
  const pools = poolsOf(parseHaproxy(['backend api', ...body.map((l) => `    ${l}`), ''].join('\n'), 'haproxy.cfg').root);
  expect(pools).toHaveLength(1);
  return pools[0] as Pool;
}

/** The one pool of an nginx upstream `app` with these lines in its block. */
function nginxPool(...body: string[]): Pool {
  const pools = poolsOf(parseNginxModel(['http {', '  upstream app {', ...body.map((l) => `    ${l}`), '  }', '}', ''].join('\n'), 'nginx.conf').root);
  expect(pools).toHaveLength(1);
  return pools[0] as Pool;
}

/** A weighted promise's shares as a plain object, rounded to 3 places. */
function shares(promise: TrafficPromise): Record<string, number> {
  expect(promise.kind).toBe('weighted');
  if (promise.kind !== 'weighted') return {};
  return Object.fromEntries([...promise.shares].map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}

const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));
const SETTINGS = { tolerance: 0.05, maxSkew: 2 };

describe('pct', () => {
  it('writes a share as a percentage with one decimal', () => {
    expect(pct(0)).toBe('0.0%');
    expect(pct(0.25)).toBe('25.0%');
    expect(pct(1 / 6)).toBe('16.7%');
    expect(pct(1)).toBe('100.0%');
    expect(pct(0.05)).toBe('5.0%');
  });
});

describe('promiseOf: weighted algorithms', () => {
  it('roundrobin with weights 10/10/10/10 promises 25% each', () => {
    const pool = haproxyPool('balance roundrobin', 'server a 10.0.0.1:80 weight 10', 'server b 10.0.0.2:80 weight 10', 'server c 10.0.0.3:80 weight 10', 'server d 10.0.0.4:80 weight 10');
    expect(shares(promiseOf(pool))).toEqual({ a: 0.25, b: 0.25, c: 0.25, d: 0.25 });
  });

  it('roundrobin with weights 30/10/10/10 promises 50/16.7/16.7/16.7', () => {
    const pool = haproxyPool('balance roundrobin', 'server a 10.0.0.1:80 weight 30', 'server b 10.0.0.2:80 weight 10', 'server c 10.0.0.3:80 weight 10', 'server d 10.0.0.4:80 weight 10');
    const promise = promiseOf(pool);
    expect(shares(promise)).toEqual({ a: 0.5, b: 0.167, c: 0.167, d: 0.167 });
    if (promise.kind === 'weighted') expect([...promise.shares.values()].map(pct)).toEqual(['50.0%', '16.7%', '16.7%', '16.7%']);
  });

  it('no balance line is roundrobin; static-rr and random are weighted too', () => {
    const servers = ['server a 10.0.0.1:80 weight 3', 'server b 10.0.0.2:80 weight 1'];
    for (const balance of [[], ['balance static-rr'], ['balance random']]) {
      expect(shares(promiseOf(haproxyPool(...balance, ...servers))), balance.join()).toEqual({ a: 0.75, b: 0.25 });
    }
  });

  it('HAProxy leastconn promises an even share whatever the weights (round robin within groups of the same load)', () => {
    const pool = haproxyPool('balance leastconn', 'server a 10.0.0.1:80 weight 30', 'server b 10.0.0.2:80 weight 10', 'server c 10.0.0.3:80 weight 10', 'server d 10.0.0.4:80 weight 10');
    expect(shares(promiseOf(pool))).toEqual({ a: 0.25, b: 0.25, c: 0.25, d: 0.25 });
  });

  it('HAProxy leastconn still gives nothing to a weight-0 server', () => {
    const pool = haproxyPool('balance leastconn', 'server a 10.0.0.1:80 weight 30', 'server b 10.0.0.2:80 weight 0', 'server c 10.0.0.3:80 weight 10');
    expect(shares(promiseOf(pool))).toEqual({ a: 0.5, b: 0, c: 0.5 });
  });

  it('nginx least_conn is weighted (ties broken by weighted round robin), as is nginx round robin', () => {
    const servers = ['server 10.0.0.1:80 weight=3;', 'server 10.0.0.2:80;'];
    expect(shares(promiseOf(nginxPool('least_conn;', ...servers)))).toEqual({ '10.0.0.1:80': 0.75, '10.0.0.2:80': 0.25 });
    expect(shares(promiseOf(nginxPool(...servers)))).toEqual({ '10.0.0.1:80': 0.75, '10.0.0.2:80': 0.25 });
  });
});

describe('promiseOf: backup, disabled and weight 0', () => {
  it('backup servers get nothing while a primary can serve', () => {
    const pool = haproxyPool('server a 10.0.0.1:80', 'server b 10.0.0.2:80', 'server c 10.0.0.3:80 backup', 'server d 10.0.0.4:80 backup');
    expect(shares(promiseOf(pool))).toEqual({ a: 0.5, b: 0.5 });
  });

  it('the first backup gets everything when no primary can serve', () => {
    const pool = haproxyPool('server a 10.0.0.1:80 disabled', 'server c 10.0.0.3:80 backup', 'server d 10.0.0.4:80 backup');
    expect(shares(promiseOf(pool))).toEqual({ c: 1 });
    const ngx = nginxPool('server 10.0.0.1:80 down;', 'server 10.0.0.2:80 backup;', 'server 10.0.0.3:80 backup;');
    expect(shares(promiseOf(ngx))).toEqual({ '10.0.0.2:80': 1 });
  });

  // HAProxy counts a server at weight 0 as unusable (srv_currently_usable), so with every primary
  // at weight 0 the backup serves; canTakeTraffic in src/diff/pools.ts says the same.
  it('the first backup gets everything when every primary is at weight 0', () => {
    const pool = haproxyPool('server a 10.0.0.1:80 weight 0', 'server b 10.0.0.2:80 weight 0', 'server c 10.0.0.3:80 backup');
    expect(promiseOf(pool)).toEqual({ kind: 'weighted', shares: new Map([['c', 1], ['a', 0], ['b', 0]]) });
  });

  it('disabled servers, nginx down servers and weight 0 get nothing', () => {
    const pool = haproxyPool('server a 10.0.0.1:80', 'server b 10.0.0.2:80 disabled', 'server c 10.0.0.3:80 weight 0', 'server d 10.0.0.4:80');
    const promise = promiseOf(pool);
    expect(shares(promise)).toEqual({ a: 0.5, c: 0, d: 0.5 });
    const ngx = nginxPool('server 10.0.0.1:80;', 'server 10.0.0.2:80 down;');
    expect(shares(promiseOf(ngx))).toEqual({ '10.0.0.1:80': 1 });
  });

  it('a pool where nobody can serve promises nothing', () => {
    expect(promiseOf(haproxyPool('server a 10.0.0.1:80 disabled'))).toEqual({ kind: 'unknown' });
    expect(promiseOf(haproxyPool())).toEqual({ kind: 'unknown' });
  });
});

describe('promiseOf: first', () => {
  it('promises everything to the first server in config order', () => {
    const pool = haproxyPool('balance first', 'server zz 10.0.0.1:80', 'server aa 10.0.0.2:80', 'server mm 10.0.0.3:80');
    expect(pool.body.server_order).toEqual(['zz', 'aa', 'mm']);
    expect(promiseOf(pool)).toEqual({ kind: 'first', server: 'zz' });
  });

  it('skips servers that cannot take traffic, and backups while a primary can', () => {
    expect(promiseOf(haproxyPool('balance first', 'server b 10.0.0.9:80 backup', 'server x 10.0.0.1:80 disabled', 'server y 10.0.0.2:80 weight 0', 'server z 10.0.0.3:80'))).toEqual({ kind: 'first', server: 'z' });
    expect(promiseOf(haproxyPool('balance first', 'server x 10.0.0.1:80 disabled', 'server b1 10.0.0.8:80 backup', 'server b2 10.0.0.9:80 backup'))).toEqual({ kind: 'first', server: 'b1' });
  });
});

describe('promiseOf: hash and unknown', () => {
  it('source, uri, hdr, url_param and nginx ip_hash / hash give { kind: hash }', () => {
    const servers = ['server a 10.0.0.1:80', 'server b 10.0.0.2:80'];
    for (const balance of ['source', 'uri', 'uri whole', 'hdr(host)', 'url_param userid', 'rdp-cookie']) {
      expect(promiseOf(haproxyPool(`balance ${balance}`, ...servers)), balance).toEqual({ kind: 'hash' });
    }
    expect(promiseOf(nginxPool('ip_hash;', 'server 10.0.0.1:80;', 'server 10.0.0.2:80;'))).toEqual({ kind: 'hash' });
    expect(promiseOf(nginxPool('hash $request_uri consistent;', 'server 10.0.0.1:80;', 'server 10.0.0.2:80;'))).toEqual({ kind: 'hash' });
  });

  it('an algorithm without a promise gives unknown', () => {
    expect(promiseOf(nginxPool('ntlm;', 'server 10.0.0.1:80;'))).toEqual({ kind: 'unknown' });
    expect(promiseOf(haproxyPool('balance something-new', 'server a 10.0.0.1:80'))).toEqual({ kind: 'unknown' });
  });
});

describe('judgePool', () => {
  const four = (balance: string, ...weights: number[]): Pool =>
    haproxyPool(`balance ${balance}`, ...[1, 2, 3, 4].map((i) => `server api-${i} 10.0.0.${i}:80 weight ${weights[i - 1] ?? 1}`));

  it('an even 250/250/250/250 spread passes with skew 1', () => {
    const verdict = judgePool(four('roundrobin', 10, 10, 10, 10), 'backend api', counts({ 'api-1': 250, 'api-2': 250, 'api-3': 250, 'api-4': 250 }), SETTINGS);
    expect(verdict.problems).toEqual([]);
    expect(verdict.skew).toBe(1);
    expect(verdict.requests).toBe(1000);
    expect(verdict.promise).toBe('weighted');
    expect(verdict.algorithm).toBe('roundrobin');
    expect(verdict.pool).toBe('backend api');
    expect(verdict.path).toBe('backends.api');
    expect(verdict.servers[0]).toEqual({ server: 'api-1', weight: 10, requests: 250, share: 0.25, promised: 0.25 });
  });

  it('first (1000/0/0/0) is blocked by skew, not by its promise', () => {
    const verdict = judgePool(four('first'), 'backend api', counts({ 'api-1': 1000, 'api-2': 0, 'api-3': 0, 'api-4': 0 }), SETTINGS);
    expect(verdict.promise).toBe('first');
    expect(verdict.servers.map((s) => s.promised)).toEqual([1, 0, 0, 0]);
    expect(verdict.skew).toBe(4);
    expect(verdict.problems).toEqual(['backend api: server api-1 took 100.0% of the requests, 4.0x an even share of 4 servers (at most 2x)']);
  });

  it('a roundrobin pool measured 400/200/200/200 is blocked by its promise (more than 5 points off)', () => {
    const verdict = judgePool(four('roundrobin'), 'backend api', counts({ 'api-1': 400, 'api-2': 200, 'api-3': 200, 'api-4': 200 }), SETTINGS);
    expect(verdict.skew).toBeCloseTo(1.6);
    // 20% against 25% is exactly 5 points off: within the tolerance.
    expect(verdict.problems).toEqual(['backend api: server api-1 took 40.0% of the requests, promised 25.0% ± 5.0%']);
  });

  it('weight 0 on three of four servers with every request on the fourth is blocked by skew', () => {
    const verdict = judgePool(four('roundrobin', 0, 0, 0, 1), 'backend api', counts({ 'api-4': 1000 }), SETTINGS);
    expect(verdict.servers.map((s) => [s.server, s.weight, s.requests, s.promised])).toEqual([
      ['api-1', 0, 0, 0],
      ['api-2', 0, 0, 0],
      ['api-3', 0, 0, 0],
      ['api-4', 1, 1000, 1],
    ]);
    expect(verdict.skew).toBe(4);
    expect(verdict.problems).toEqual(['backend api: server api-4 took 100.0% of the requests, 4.0x an even share of 4 servers (at most 2x)']);
  });

  it('disabled servers are not members of the even share', () => {
    const pool = haproxyPool(
      'balance roundrobin',
      'server a 10.0.0.1:80',
      'server b 10.0.0.2:80',
      'server c 10.0.0.3:80 disabled',
      'server d 10.0.0.4:80 disabled',
      'server e 10.0.0.5:80 disabled',
    );
    const verdict = judgePool(pool, 'backend api', counts({ a: 500, b: 500 }), SETTINGS);
    // Counted as 5 members, 50% would be 2.5x an even share.
    expect(verdict.skew).toBe(1);
    expect(verdict.problems).toEqual([]);
    expect(verdict.servers.map((s) => s.promised)).toEqual([0.5, 0.5, 0, 0, 0]);
  });

  it('nginx down servers and backups are not members either', () => {
    const pool = nginxPool('server 10.0.0.1:80;', 'server 10.0.0.2:80;', 'server 10.0.0.3:80 down;', 'server 10.0.0.4:80 backup;', 'server 10.0.0.5:80 backup;');
    const verdict = judgePool(pool, 'upstream app', counts({ '10.0.0.1:80': 510, '10.0.0.2:80': 490 }), SETTINGS);
    expect(verdict.skew).toBeCloseTo(1.02);
    expect(verdict.problems).toEqual([]);
  });

  it('traffic to a server promised nothing is reported', () => {
    const pool = haproxyPool('server a 10.0.0.1:80', 'server b 10.0.0.2:80', 'server c 10.0.0.3:80 backup');
    const verdict = judgePool(pool, 'backend api', counts({ a: 450, b: 450, c: 100 }), SETTINGS);
    expect(verdict.problems).toEqual(['backend api: server c took 10.0% of the requests, promised 0.0% ± 5.0%']);
  });

  it('a hash pool has no promise to break, only skew', () => {
    const pool = four('source');
    const even = judgePool(pool, 'backend api', counts({ 'api-1': 300, 'api-2': 200, 'api-3': 250, 'api-4': 250 }), SETTINGS);
    expect(even.promise).toBe('hash');
    expect(even.servers.every((s) => s.promised === undefined)).toBe(true);
    expect(even.problems).toEqual([]);
    const skewed = judgePool(pool, 'backend api', counts({ 'api-1': 900, 'api-2': 100 }), SETTINGS);
    expect(skewed.problems).toEqual(['backend api: server api-1 took 90.0% of the requests, 3.6x an even share of 4 servers (at most 2x)']);
  });

  it('zero requests gives no problems', () => {
    const verdict = judgePool(four('roundrobin'), 'backend api', new Map(), SETTINGS);
    expect(verdict.requests).toBe(0);
    expect(verdict.skew).toBe(0);
    expect(verdict.problems).toEqual([]);
    expect(verdict.servers.map((s) => s.share)).toEqual([0, 0, 0, 0]);
  });
});
