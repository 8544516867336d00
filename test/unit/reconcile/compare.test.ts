import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import { compareTrees, type Change } from '../../../src/diff/compare.js';
import { emptyPoolFindings } from '../../../src/diff/pools.js';
import { describeChange } from '../../../src/diff/describe.js';
import { canonicalJson, type ConfigTree, type TreeValue, type Vocabulary } from '../../../src/diff/tree.js';
import { compareConfigs, DETAILED, textHash } from '../../../src/reconcile/compare.js';
import { rng } from '../../helpers/rng.js';

const tree = (root: TreeValue): ConfigTree => ({ format: 'yaml', root, lines: new Map([['backends.api.algorithm', 3]]), canonical: canonicalJson(root), normalized: canonicalJson(root) });

/**
 * Fingerprint v2 as defined: sha256 of canonicalJson({ changes, content: null }), 16 hex digits,
 * where the changes are in the order the trees are walked (compareTrees' order, then the empty
 * pools), each with only its approved, file, kind, live, path and scope.
 */
function definedFingerprint(approved: ConfigTree, live: ConfigTree, redactor: Redactor, findings: readonly object[] = []): string {
  const found = [...compareTrees(approved, live, { rules: [], ignore: [], redactor }), ...emptyPoolFindings(approved.root, live.root, 'config'), ...findings];
  const kept = new Set(['approved', 'file', 'kind', 'live', 'path', 'scope']);
  const stripped = found.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => kept.has(k))));
  return createHash('sha256').update(canonicalJson({ changes: stripped, content: null })).digest('hex').slice(0, 16);
}

/** The fingerprint before v2: the same, with each change's severity and summary too (line left out). */
function legacyFingerprint(changes: readonly Change[], vocabulary?: Vocabulary): string {
  const stripped = changes.map((c) => ({ ...Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'line')), summary: describeChange(c, vocabulary) }));
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

  it('is the sha256 of the canonical change list (path, kind, values, scope, file), for drifts of scalar changes and of whole objects alike', () => {
    const next = rng(11);
    for (const drift of [0.05, 0.5, 1]) {
      const approved = tree(pools(rng(3), 60, 0));
      const live = tree(pools(next, 60, drift));
      const c = compareConfigs(approved, live, input);
      expect(c.changes.length).toBeGreaterThan(0);
      expect(c.fingerprint).toBe(definedFingerprint(approved, live, redactor));
      expect(c.legacyFingerprint?.()).toBe(legacyFingerprint(c.changes));
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
    expect(c.fingerprint).toBe(definedFingerprint(approved, live, redactor));
  });

  it('names the drift, not the line it is on: the same changes at other lines give the same fingerprint', () => {
    const approved = tree({ backends: { api: { algorithm: 'roundrobin' } } });
    const live = tree({ backends: { api: { algorithm: 'random' } } });
    const a = compareConfigs(approved, live, input);
    const moved = compareConfigs(approved, { ...live, lines: new Map([['backends.api.algorithm', 40]]) }, input);
    expect(a.changes[0]?.line).toBe(3);
    expect(moved.changes[0]?.line).toBe(40);
    expect(moved.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toBe(definedFingerprint(approved, live, redactor));
  });
});

describe('compareConfigs: fingerprint v2 and the one before it', () => {
  const redactor = new Redactor(Buffer.alloc(32, 1));
  const vocabulary: Vocabulary = { collections: { backends: 'backend' }, algorithm: 'balance' };
  const withVocabulary = (root: TreeValue): ConfigTree => ({ ...tree(root), vocabulary });
  /** A small drift of every kind: a changed scalar, a removed and an added server, a reordered list, a secret. */
  const approvedRoot: TreeValue = {
    backends: {
      api: { algorithm: 'roundrobin', password: 's3cret', servers: { s1: { address: '10.0.0.1:80', weight: 1 }, s2: { address: '10.0.0.2:80', weight: 1 } }, acl: ['a', 'b'] },
      web: { algorithm: 'leastconn', servers: { w1: { address: '10.0.1.1:80', weight: 3 } } },
    },
  };
  const liveRoot: TreeValue = {
    backends: {
      api: { algorithm: 'random', password: 'hunter2', servers: { s1: { address: '10.0.0.1:80', weight: 5 }, s3: { address: '10.0.0.3:80', weight: 1 } }, acl: ['b', 'a'] },
      web: { algorithm: 'leastconn', servers: { w1: { address: '10.0.1.1:80', weight: 3, down: true } } },
    },
  };

  it('reads the same as the fingerprint driftwarden wrote before v2 (values taken from that version), so open drifts are recognised after an upgrade', () => {
    const [approved, live] = [withVocabulary(approvedRoot), withVocabulary(liveRoot)];
    const c = compareConfigs(approved, live, { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor });
    expect(c.legacyFingerprint?.()).toBe(LEGACY_GOLDEN);
    expect(c.legacyFingerprint?.()).toBe(legacyFingerprint(c.changes, vocabulary));
    expect(c.fingerprint).toBe(definedFingerprint(approved, live, redactor));
    expect(c.fingerprint).not.toBe(c.legacyFingerprint?.());
  });

  it('does not change with the severity rules or the wording: only with what changed', () => {
    const plain = compareConfigs(withVocabulary(approvedRoot), withVocabulary(liveRoot), { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor });
    const strict = compareConfigs(tree(approvedRoot), tree(liveRoot), { rules: [{ path: '**', severity: 'critical' }], ignore: [], redactor });
    expect(strict.severity).toBe('critical');
    expect(strict.changes.map((c) => c.severity)).not.toEqual(plain.changes.map((c) => c.severity));
    expect(strict.changes.map((c) => c.summary)).not.toEqual(plain.changes.map((c) => c.summary));
    expect(strict.fingerprint).toBe(plain.fingerprint);
    expect(strict.legacyFingerprint?.()).not.toBe(plain.legacyFingerprint?.());
    const other = compareConfigs(tree(approvedRoot), tree({ ...(liveRoot as object), extra: 1 }), { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor });
    expect(other.fingerprint).not.toBe(plain.fingerprint);
  });

  it(`gives line and summary to the ${DETAILED} most severe changes only, and rates and fingerprints all of them`, () => {
    const servers = (weight: number): TreeValue => Object.fromEntries(Array.from({ length: 3 }, (_, s) => [`s${s}`, { address: `10.0.0.${s}:80`, weight, log: 'x' }]));
    const pools = (weight: number, algorithm: string): TreeValue => ({ backends: Object.fromEntries(Array.from({ length: 700 }, (_, i) => [`p${i}`, { algorithm: i === 650 ? algorithm : 'roundrobin', servers: servers(weight) }])) });
    const lines = new Map(Array.from({ length: 700 }, (_, i) => [`backends.p${i}.algorithm`, i + 1]));
    const [approved, live] = [{ ...tree(pools(1, 'roundrobin')), vocabulary, lines }, { ...tree(pools(2, 'random')), vocabulary, lines }];
    // A provider's finding with an empty summary, rated low: last, past the detailed ones.
    const findings = [{ path: 'backends.p1.servers.s0.log', kind: 'changed' as const, approved: 'x', live: 'y', scope: 'process' as const, severity: 'low' as const, summary: '' }];
    const c = compareConfigs(approved, live, { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor, findings });
    expect(c.changes).toHaveLength(2102);
    expect(c.changes[2101]).toMatchObject({ scope: 'process', summary: '' });
    expect(c.severity).toBe('critical');
    // Most severe first: the algorithm, then the 2,100 weights (high).
    expect(c.changes[0]).toMatchObject({ path: 'backends.p650.algorithm', severity: 'critical', line: 651, summary: 'backend p650: balance roundrobin -> random' });
    expect(c.changes.slice(1, 2101).every((x) => x.severity === 'high')).toBe(true);
    expect(c.changes.slice(0, DETAILED).every((x) => typeof x.summary === 'string')).toBe(true);
    expect(c.changes.slice(DETAILED, 2101).some((x) => x.summary !== undefined || x.line !== undefined)).toBe(false);
    expect(c.changes[DETAILED - 1]?.summary).toMatch(/^backend p\d+: server s\d weight 1 -> 2$/);
    expect(c.fingerprint).toBe(definedFingerprint(approved, live, redactor, findings));
    expect(c.legacyFingerprint?.()).toBe(legacyFingerprint(c.changes, vocabulary));
  });
});

/** The fingerprint that driftwarden before v2 (commit 4c5ddc9) gave the pair above. */
const LEGACY_GOLDEN = 'a287e931b212a440';

describe('textHash', () => {
  it('is the sha256 of the text, for big texts kept and then compared by content', () => {
    const a = `${'x'.repeat(100_000)}a`;
    const b = `${'x'.repeat(100_000)}b`;
    for (let i = 0; i < 2; i++) {
      expect(textHash(a)).toBe(createHash('sha256').update(a).digest('hex'));
      expect(textHash(b)).toBe(createHash('sha256').update(b).digest('hex'));
      // Equal content in another string: the same hash.
      expect(textHash(`${'x'.repeat(100_000)}${'a'}`)).toBe(textHash(a));
    }
    expect(textHash('small')).toBe(createHash('sha256').update('small').digest('hex'));
  });
});
