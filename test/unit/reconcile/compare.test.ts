import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import { canonicalJson, type ConfigTree, type TreeValue } from '../../../src/diff/tree.js';
import { compareConfigs } from '../../../src/reconcile/compare.js';
import { rng } from '../../helpers/rng.js';

const tree = (root: TreeValue): ConfigTree => ({ format: 'yaml', root, lines: new Map([['backends.api.algorithm', 3]]), canonical: canonicalJson(root), normalized: canonicalJson(root) });

/** The fingerprint as it was defined: sha256 of canonicalJson({ changes without `line`, content: null }), 16 hex digits. */
function definedFingerprint(changes: readonly object[]): string {
  const stripped = changes.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'line')));
  return createHash('sha256').update(canonicalJson({ changes: stripped, content: null })).digest('hex').slice(0, 16);
}

function pools(next: () => number, n: number, drift: number): TreeValue {
  const backends: Record<string, TreeValue> = {};
  for (let i = 0; i < n; i++) {
    const servers: Record<string, TreeValue> = {};
    for (let s = 0; s < 3; s++) {
      if (next() < drift / 4) continue; // a server removed (an object value in the change)
      servers[`s${s}`] = { address: `10.0.${i}.${s}:80`, weight: next() < drift ? 5 : 1, check: next() < drift };
    }
    const backend: Record<string, TreeValue> = { algorithm: next() < drift ? 'random' : 'roundrobin', servers, password: next() < drift ? 'hunter2' : 's3cret' };
    // Values that JSON.stringify and canonicalJson might write apart: a nested `line`, lists, numeric keys.
    if (next() < drift) backend.meta = { line: i, tags: ['b', 'a'], 10: 'x', 9: { z: 1, a: [null, true] } };
    backends[i === 0 ? 'api' : `pool "${i}"`] = backend;
  }
  return { backends };
}

describe('compareConfigs: fingerprint', () => {
  const redactor = new Redactor(Buffer.alloc(32, 1));
  const input = { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor };

  it('is the sha256 of the canonical change list (line left out), for drifts of scalar changes and of whole objects alike', () => {
    const next = rng(11);
    for (const drift of [0.05, 0.5, 1]) {
      const approved = tree(pools(rng(3), 60, 0));
      const live = tree(pools(next, 60, drift));
      const c = compareConfigs(approved, live, input);
      expect(c.changes.length).toBeGreaterThan(0);
      expect(c.fingerprint).toBe(definedFingerprint(c.changes));
    }
  });

  it('is the same for removed pools whose servers are keyed by address (thousands of distinct keys)', () => {
    const pool = (i: number): TreeValue => ({ servers: Object.fromEntries(Array.from({ length: 4 }, (_, s) => [`10.${i >> 8}.${i & 255}.${s}:8080`, { weight: s, down: s === 3 }])) });
    const approved = tree({ upstreams: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`pool_${i}`, pool(i)])) });
    // Half the pools replaced by others: each change holds a whole pool, its servers keyed by address.
    const live = tree({ upstreams: Object.fromEntries(Array.from({ length: 300 }, (_, i) => (i % 2 ? [`other_${i}`, pool(i + 1000)] : [`pool_${i}`, pool(i)]))) });
    const c = compareConfigs(approved, live, input);
    expect(c.changes.filter((x) => x.kind === 'removed')).toHaveLength(150);
    expect(c.changes.filter((x) => x.kind === 'added')).toHaveLength(150);
    expect(c.fingerprint).toBe(definedFingerprint(c.changes));
  });

  it('names the drift, not the line it is on: the same changes at other lines give the same fingerprint', () => {
    const approved = tree({ backends: { api: { algorithm: 'roundrobin' } } });
    const live = tree({ backends: { api: { algorithm: 'random' } } });
    const a = compareConfigs(approved, live, input);
    const moved = compareConfigs(approved, { ...live, lines: new Map([['backends.api.algorithm', 40]]) }, input);
    expect(a.changes[0]?.line).toBe(3);
    expect(moved.changes[0]?.line).toBe(40);
    expect(moved.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toBe(definedFingerprint(a.changes));
  });
});
