/**
 * Synthetic history for the growth benchmark: a deterministic stream of events (seeded PRNG) over
 * `targets` targets, 20 event types with a realistic skew, and times spread evenly over one year up
 * to `end` (observe.failed only in the first half). Each event is a plain object in the shape HistoryStore.append takes (NewEvent + time).
 */
import { createHash } from 'node:crypto';
import { rng } from './rng.mjs';

/** The 20 types and their weights (per mille): frequent alerts and checks, rare Git trouble. */
export const TYPE_WEIGHTS = [
  ['alert.sent', 200],
  ['target.in-sync', 100],
  ['drift.detected', 80],
  ['drift.resolved', 80],
  ['drift.changed', 60],
  ['observe.failed', 50],
  ['revert.planned', 50],
  ['revert.applied', 48],
  ['revert.skipped', 40],
  ['alert.failed', 30],
  ['pr.opened', 30],
  ['pr.updated', 20],
  ['pr.closed', 20],
  ['revert.failed', 10],
  ['pr.merged', 10],
  ['drift.approved', 10],
  ['target.paused', 5],
  ['target.resumed', 5],
  ['git.stale', 1],
  ['git.recovered', 1],
];

export const targetName = (i) => `t-${String(i).padStart(3, '0')}`;


const hex = (s, n) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Yields `count` events, oldest first, the newest at `end` (a Date). */
export function* syntheticEvents({ count, targets, end, seed = 7 }) {
  const rand = rng(seed);
  const total = TYPE_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const pick = () => {
    let r = rand() * total;
    for (const [type, w] of TYPE_WEIGHTS) if ((r -= w) < 0) return type;
    return TYPE_WEIGHTS[0][0];
  };
  const commits = Array.from({ length: 400 }, (_, i) => hex(`commit ${i}`, 40));
  const contents = Array.from({ length: 1000 }, (_, i) => hex(`content ${i}`, 64));
  const yearMs = 365 * 86_400_000;
  const start = end.getTime() - yearMs;
  const step = yearMs / Math.max(1, count - 1);
  for (let i = 0; i < count; i++) {
    // observe.failed only in the first half of the year (a broken target, fixed since): a type that
    // is common in old history and absent from a recent window.
    const type = ((t) => (t === 'observe.failed' && i >= count / 2 ? 'target.in-sync' : t))(pick());
    const family = type.slice(0, type.indexOf('.'));
    const git = family === 'git';
    const target = git ? null : targetName(Math.floor(rand() * targets));
    const commit = commits[Math.floor((i / count) * commits.length)];
    const e = {
      time: new Date(Math.round(start + i * step)).toISOString(),
      target,
      type,
      commit,
      approvedHash: null,
      liveHash: null,
      fingerprint: null,
      severity: null,
      changes: null,
      provenance: null,
      actor: type === 'pr.merged' || type === 'drift.approved' ? 'github:octo-reviewer' : rand() < 0.05 ? 'cli:alice' : 'service',
      reason: null,
      data: null,
    };
    if (family === 'drift' || family === 'revert' || type === 'target.in-sync') {
      e.approvedHash = contents[Math.floor(rand() * contents.length)];
      e.liveHash = contents[Math.floor(rand() * contents.length)];
    }
    if (type === 'drift.detected' || type === 'drift.changed') {
      const n = 1 + Math.floor(rand() * 3);
      const w = 10 + Math.floor(rand() * 90);
      e.fingerprint = hex(`fp ${i}`, 16);
      e.severity = n > 1 ? 'critical' : 'high';
      e.changes = [
        { path: 'backends.api.algorithm', kind: 'changed', approved: 'roundrobin', live: 'random', severity: 'critical', line: 9, summary: 'backends.api.algorithm: roundrobin -> random' },
        { path: 'backends.api.servers.api-2.weight', kind: 'changed', approved: 10, live: w, severity: 'high', line: 17, summary: `backends.api.servers.api-2.weight: 10 -> ${w}` },
        { path: 'frontends.web.timeout_client', kind: 'changed', approved: '30s', live: '60s', severity: 'medium', line: 22, summary: 'frontends.web.timeout_client: 30s -> 60s' },
      ].slice(0, n);
      e.provenance = rand() < 0.5 ? { kind: 'unknown-origin', searched: 40, truncated: false } : { kind: 'stale', commit, date: e.time, subject: 'Approve edge config', searched: 12, truncated: false };
    } else if (family === 'pr' || type === 'drift.approved') {
      const number = 1 + Math.floor(rand() * 5000);
      e.data = { number, url: `https://github.example/acme/lb-config/pull/${number}` };
      e.reason = `${type} #${number}`;
    } else if (family === 'alert') {
      e.data = { sink: 'webhook:https://hooks.example.com', attempt: 1 + Math.floor(rand() * 3), ...(type === 'alert.failed' ? { status: 502 } : { status: 200 }) };
    } else if (family === 'revert') {
      e.reason = type === 'revert.skipped' ? 'paused until 2026-11-27T12:00:00Z: INC-42' : 'drift in mode revert';
      if (type !== 'revert.skipped') e.data = { steps: ['validate', 'write', 'reload', 'verify'], ms: 100 + Math.floor(rand() * 900) };
    } else if (type === 'observe.failed') {
      e.reason = 'cannot read the live config: ENOENT: no such file or directory';
    } else if (git) {
      e.reason = type === 'git.stale' ? 'fetch failed: could not resolve host' : 'fetch succeeded again';
    }
    yield e;
  }
}
