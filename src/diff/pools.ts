import type { Change } from './compare.js';
import { isObject, joinPath, type TreeObject, type TreeValue, type Vocabulary } from './tree.js';

/** Collections whose items are pools of servers, in every provider's model. */
const POOLS = ['backends', 'listens', 'upstreams'];

export type Finding = Omit<Change, 'severity'> & { severity?: Change['severity'] };

/** A server can take traffic unless it is disabled, down, drained or at weight 0. */
export function canTakeTraffic(server: TreeValue): boolean {
  if (!isObject(server)) return false;
  if (server.disabled === true || server.down === true || server.drain === true || server.maintenance === true) return false;
  return typeof server.weight !== 'number' || server.weight > 0;
}

/** A pool of servers in any provider's model: `backends.api`, `upstreams.app`. */
export interface Pool {
  collection: string;
  name: string;
  /** Its semantic path (`backends.api`). */
  path: string;
  body: TreeObject;
  /** Its servers with their path segment (name or address). */
  servers: { key: string; path: string; server: TreeValue }[];
}

/** Every pool of a tree (backends, listens, upstreams), in the tree's order. */
export function poolsOf(root: TreeValue | null): Pool[] {
  if (!isObject(root)) return [];
  const out: Pool[] = [];
  for (const collection of POOLS) {
    const pools = root[collection];
    if (!isObject(pools)) continue;
    for (const [name, body] of Object.entries(pools)) {
      if (!isObject(body)) continue;
      const path = joinPath(collection, name);
      const servers = body.servers;
      const serversPath = joinPath(path, 'servers');
      const list = Array.isArray(servers)
        ? servers.map((server, i) => ({ key: String(i), path: `${serversPath}[${i}]`, server }))
        : isObject(servers)
          ? Object.entries(servers).map(([key, server]) => ({ key, path: joinPath(serversPath, key), server }))
          : [];
      out.push({ collection, name, path, body, servers: list });
    }
  }
  return out;
}

function serverList(pool: TreeValue | undefined): TreeValue[] {
  if (!isObject(pool)) return [];
  const servers = pool.servers;
  if (Array.isArray(servers)) return servers;
  return isObject(servers) ? Object.values(servers) : [];
}

/**
 * Pure: a critical finding for every pool that could serve traffic as approved and cannot live
 * (every server drained, down or at weight 0). The single worst thing a balancer change can do.
 */
export function emptyPoolFindings(approved: TreeValue | null, live: TreeValue | null, scope: Change['scope'] = 'config', vocabulary?: Vocabulary): Finding[] {
  if (!isObject(approved) || !isObject(live)) return [];
  const out: Finding[] = [];
  for (const collection of POOLS) {
    const a = approved[collection];
    const l = live[collection];
    if (!isObject(a) || !isObject(l)) continue;
    for (const name of Object.keys(l)) {
      const pool = l[name] as TreeValue;
      // The same pool object on both sides (a section both parses share) cannot have emptied.
      if (a[name] === pool) continue;
      // Most live pools have a server that takes traffic (the first one, mostly): asked first.
      const servers = serverList(pool);
      if (servers.length === 0 || servers.some(canTakeTraffic)) continue;
      const before = serverList(a[name]).filter(canTakeTraffic).length;
      if (before > 0) {
        const label = vocabulary?.collections[collection] ?? collection;
        out.push({
          path: joinPath(joinPath(collection, name), 'servers'),
          kind: 'changed',
          approved: `${before} able to take traffic`,
          live: 'none able to take traffic',
          severity: 'critical',
          scope,
          summary: `${scope === 'runtime' ? 'runtime only: ' : ''}${label} ${name}: no server can take traffic (every server drained, down or at weight 0)`,
        });
      }
    }
  }
  return out;
}

/** The first pool (as `backends.api`) that has servers but none able to take traffic, or null. */
export function firstEmptyPool(root: TreeValue | null): string | null {
  if (!isObject(root)) return null;
  for (const collection of POOLS) {
    const pools = root[collection];
    if (!isObject(pools)) continue;
    for (const [name, pool] of Object.entries(pools)) {
      if (isEmptyPool(pool)) return joinPath(collection, name);
    }
  }
  return null;
}

/** Frozen pools (shared by parses, see `shareable`) never change: their answer is kept. */
const emptyFrozenPools = new WeakMap<object, boolean>();

function isEmptyPool(pool: TreeValue): boolean {
  const frozen = isObject(pool) && Object.isFrozen(pool);
  const known = frozen ? emptyFrozenPools.get(pool) : undefined;
  if (known !== undefined) return known;
  const servers = serverList(pool);
  const empty = servers.length > 0 && !servers.some(canTakeTraffic);
  if (frozen) emptyFrozenPools.set(pool, empty);
  return empty;
}
