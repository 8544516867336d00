import type { Pool } from '../../diff/pools.js';
import { isObject, type TreeObject } from '../../diff/tree.js';
import { algorithmName, statesOf } from '../policy.js';

/**
 * What a pool's algorithm and weights promise for the traffic test's requests (sent one after
 * another, each on a new connection, from varied loopback addresses and URIs):
 * - `weighted`: each server its weight's share of the servers able to take traffic (round robin,
 *   static-rr, random, and nginx's least_conn: with one request at a time every server ties at
 *   no connection, and nginx breaks ties by weighted round robin). HAProxy's `leastconn` breaks
 *   ties by plain round robin (its docs: "round-robin is performed within groups of servers of
 *   the same load"): an even share each, whatever the weights;
 * - `first`: every request to the first server able to take traffic;
 * - `hash`: a hash of the request (source address, URI, header) picks the server: no fixed share;
 * - `unknown`: an algorithm the test has no promise for.
 */
export type TrafficPromise =
  | { kind: 'weighted'; shares: Map<string, number> }
  | { kind: 'first'; server: string }
  | { kind: 'hash' }
  | { kind: 'unknown' };

const WEIGHTED = new Set(['roundrobin', 'staticrr', 'leastconn', 'leasttime', 'leastrequests', 'random']);
const HASHED = new Set(['source', 'uri', 'urlparam', 'hdr', 'rdpcookie', 'hash', 'iphash', 'cookie', 'header', 'clientiphash', 'remoteiphash', 'urihash', 'queryhash']);

/** Pure: the promise of a pool, from its algorithm and its servers' weights and states. */
export function promiseOf(pool: Pool): TrafficPromise {
  const algorithm = algorithmName(typeof pool.body.algorithm === 'string' ? pool.body.algorithm : 'roundrobin');
  const servers = pool.servers.filter((s): s is { key: string; path: string; server: TreeObject } => isObject(s.server));
  const up = servers.filter((s) => !s.server.disabled && !s.server.down && !s.server.maintenance);
  // A primary at weight 0 takes nothing (drained); the backups serve when no primary can.
  const primaries = up.filter((s) => s.server.backup !== true && weightOf(s.server) > 0);
  // HAProxy and nginx send to the backup servers only when no primary can serve.
  const serving = primaries.length > 0 ? primaries : up.filter((s) => s.server.backup === true).slice(0, 1);
  if (algorithm === 'first') {
    const order = Array.isArray(pool.body.server_order) ? pool.body.server_order.map(String) : serving.map((s) => s.key);
    const first = order.find((key) => serving.some((s) => s.key === key && weightOf(s.server) > 0));
    return first === undefined ? { kind: 'unknown' } : { kind: 'first', server: first };
  }
  if (HASHED.has(algorithm)) return { kind: 'hash' };
  if (!WEIGHTED.has(algorithm)) return { kind: 'unknown' };
  const written = typeof pool.body.algorithm === 'string' ? pool.body.algorithm.trim().split(/\s/)[0] : '';
  const weigh = written === 'leastconn' ? (s: TreeObject) => (weightOf(s) > 0 ? 1 : 0) : weightOf;
  const total = serving.reduce((sum, s) => sum + weigh(s.server), 0);
  if (total <= 0) return { kind: 'unknown' };
  const shares = new Map(serving.map((s) => [s.key, weigh(s.server) / total]));
  // Drained primaries are promised nothing, and say so.
  for (const s of up) if (s.server.backup !== true && !shares.has(s.key)) shares.set(s.key, 0);
  return { kind: 'weighted', shares };
}

function weightOf(server: TreeObject): number {
  return typeof server.weight === 'number' ? server.weight : 1;
}

/** One server's row in the traffic test's table. */
export interface ServerShare {
  server: string;
  weight: number | null;
  requests: number;
  share: number;
  /** The promised share, where the algorithm promises one. */
  promised?: number;
}

export interface PoolVerdict {
  pool: string;
  /** Its semantic path (`backends.api`). */
  path: string;
  algorithm: string;
  requests: number;
  servers: ServerShare[];
  promise: TrafficPromise['kind'];
  /** The busiest server's share over an even share of the pool's members (non-backup, not disabled). */
  skew: number;
  problems: string[];
}

export interface VerdictSettings {
  tolerance: number;
  maxSkew: number;
}

/**
 * Pure: the measured spread of one pool against its promise and against an even spread. Blocks
 * (a problem) when a server is further than `tolerance` from its promised share, and when the
 * busiest server takes more than `maxSkew` times an even share of the pool's members: the
 * postmortem's harm ("some backend servers overloaded while others remained underutilized"),
 * whatever the algorithm promised.
 */
export function judgePool(pool: Pool, label: string, counts: ReadonlyMap<string, number>, settings: VerdictSettings): PoolVerdict {
  const promise = promiseOf(pool);
  const requests = [...counts.values()].reduce((a, b) => a + b, 0);
  const promisedShare = (key: string): number | undefined => {
    if (promise.kind === 'weighted') return promise.shares.get(key) ?? 0;
    if (promise.kind === 'first') return key === promise.server ? 1 : 0;
    return undefined;
  };
  const servers: ServerShare[] = pool.servers.map(({ key, server }) => {
    const n = counts.get(key) ?? 0;
    const promised = promisedShare(key);
    const weight = isObject(server) && typeof server.weight === 'number' ? server.weight : null;
    return { server: key, weight, requests: n, share: requests > 0 ? n / requests : 0, ...(promised !== undefined ? { promised } : {}) };
  });
  const problems: string[] = [];
  if (requests > 0) {
    for (const s of servers) {
      if (s.promised !== undefined && Math.abs(s.share - s.promised) > settings.tolerance) {
        problems.push(`${label}: server ${s.server} took ${pct(s.share)} of the requests, promised ${pct(s.promised)} ± ${pct(settings.tolerance)}`);
      }
    }
  }
  const members = pool.servers.filter(({ server }) => isObject(server) && server.backup !== true && !statesOf(server).some((x) => x === 'disabled'));
  let skew = 0;
  if (requests > 0 && servers.length > 0) {
    const busiest = servers.reduce((a, b) => (b.requests > a.requests ? b : a));
    skew = busiest.share * Math.max(members.length, 1);
    if (members.length > 1 && skew > settings.maxSkew) {
      problems.push(`${label}: server ${busiest.server} took ${pct(busiest.share)} of the requests, ${skew.toFixed(1)}x an even share of ${members.length} servers (at most ${settings.maxSkew}x)`);
    }
  }
  const algorithm = typeof pool.body.algorithm === 'string' ? pool.body.algorithm : '';
  return { pool: label, path: pool.path, algorithm, requests, servers, promise: promise.kind, skew, problems };
}

export function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
