import type { Finding } from '../../diff/pools.js';
import { emptyPoolFindings } from '../../diff/pools.js';
import { isObject, joinPath, splitPath, type TreeObject, type TreeValue } from '../../diff/tree.js';
import { HAPROXY_VOCABULARY } from './model.js';

/** Admin state bits of `show servers state` (srv_admin_state). */
const FORCED_MAINT = 0x01;
const CONFIG_MAINT = 0x04;
const FORCED_DRAIN = 0x08;

export interface RunningState {
  stat: Record<string, string>[];
  servers: Record<string, string>[];
}

const POOLS = ['backends', 'listens'] as const;

function pools(model: TreeValue | null): Map<string, { path: string; pool: TreeObject }> {
  const out = new Map<string, { path: string; pool: TreeObject }>();
  if (!isObject(model)) return out;
  for (const c of POOLS) {
    const coll = model[c];
    if (isObject(coll)) for (const [name, pool] of Object.entries(coll)) if (isObject(pool)) out.set(name, { path: joinPath(c, name), pool });
  }
  return out;
}

/**
 * Pure: compares what the running HAProxy reports with its own config file. `process` findings
 * mean it runs something else than the file (a reload failed, or the file changed since);
 * `runtime` findings are Runtime API changes (weights, maintenance) that a reload would undo.
 */
export function runningFindings(fileModel: TreeValue | null, running: RunningState): Finding[] {
  const out: Finding[] = [];
  const file = pools(fileModel);
  const backendRows = running.stat.filter((r) => r.svname === 'BACKEND');
  const runningNames = new Set(backendRows.map((r) => r.pxname as string));
  for (const [name, { path, pool }] of file) {
    if (!runningNames.has(name)) out.push({ path, kind: 'removed', scope: 'process', approved: name });
  }
  for (const row of backendRows) {
    const name = row.pxname as string;
    const entry = file.get(name);
    if (!entry) {
      out.push({ path: joinPath('backends', name), kind: 'added', scope: 'process', live: name });
      continue;
    }
    const fileAlgo = String(entry.pool.algorithm ?? 'roundrobin').split(/[\s(]/)[0] as string;
    const algo = row.algo ?? '';
    const consistent = algo === fileAlgo || (algo === 'unknown' && fileAlgo === 'random') || algo === '';
    if (!consistent) out.push({ path: joinPath(entry.path, 'algorithm'), kind: 'changed', scope: 'process', approved: fileAlgo, live: algo });
  }
  const effective: TreeObject = {};
  for (const [name, { path, pool }] of file) {
    const fileServers = isObject(pool.servers) ? pool.servers : {};
    const rows = running.servers.filter((r) => r.be_name === name);
    const live: TreeObject = {};
    for (const row of rows) {
      const sname = row.srv_name as string;
      const spath = joinPath(joinPath(path, 'servers'), sname);
      const spec = fileServers[sname];
      const admin = Number(row.srv_admin_state ?? 0);
      const iweight = Number(row.srv_iweight);
      const uweight = Number(row.srv_uweight);
      if (!isObject(spec)) {
        out.push({ path: spath, kind: 'added', scope: 'process', live: row.srv_addr ?? '' });
        continue;
      }
      // The address, where the file names a literal IPv4 one (a name is resolved: it may differ).
      const literal = typeof spec.address === 'string' ? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(spec.address) : null;
      if (literal && row.srv_addr !== undefined && row.srv_port !== undefined && (row.srv_addr !== literal[1] || row.srv_port !== literal[2])) {
        out.push({ path: joinPath(spath, 'address'), kind: 'changed', scope: 'process', approved: spec.address as string, live: `${row.srv_addr}:${row.srv_port}` });
      }
      if (typeof spec.weight === 'number' && iweight !== spec.weight) out.push({ path: joinPath(spath, 'weight'), kind: 'changed', scope: 'process', approved: spec.weight, live: iweight });
      if (uweight !== iweight) out.push({ path: joinPath(spath, 'weight'), kind: 'changed', scope: 'runtime', approved: iweight, live: uweight });
      const maint = (admin & FORCED_MAINT) !== 0 && (admin & CONFIG_MAINT) === 0;
      const drain = (admin & FORCED_DRAIN) !== 0;
      if (maint) out.push({ path: joinPath(spath, 'maintenance'), kind: 'changed', scope: 'runtime', approved: false, live: true });
      if (drain) out.push({ path: joinPath(spath, 'drain'), kind: 'changed', scope: 'runtime', approved: false, live: true });
      live[sname] = { ...spec, weight: uweight, maintenance: maint || (admin & CONFIG_MAINT) !== 0, drain };
    }
    for (const sname of Object.keys(fileServers)) {
      if (!rows.some((r) => r.srv_name === sname) && runningNames.has(name)) out.push({ path: joinPath(joinPath(path, 'servers'), sname), kind: 'removed', scope: 'process', approved: sname });
    }
    const [coll] = splitPath(path) as [string];
    ((effective[coll] ??= {}) as TreeObject)[name] = { ...pool, servers: live };
  }
  out.push(...emptyPoolFindings(fileModel, effective, 'runtime', HAPROXY_VOCABULARY));
  return out;
}
