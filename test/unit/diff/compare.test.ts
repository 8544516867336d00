import { describe, expect, it } from 'vitest';
import { compareTrees } from '../../../src/diff/compare.js';
import { describeChange } from '../../../src/diff/describe.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import { parseFormat } from '../../../src/formats/index.js';

const opts = { rules: DEFAULT_SEVERITY_RULES, ignore: [] as string[] };
const yaml = (t: string) => parseFormat(t, 'x.yaml', 'yaml');

describe('compareTrees', () => {
  it('reports a changed algorithm as critical, with the live line', () => {
    const a = yaml('backends:\n  api:\n    algorithm: roundrobin\n');
    const b = yaml('# comment\nbackends:\n  api:\n    algorithm: random\n');
    const changes = compareTrees(a, b, opts);
    expect(changes).toEqual([{ path: 'backends.api.algorithm', kind: 'changed', approved: 'roundrobin', live: 'random', severity: 'critical', line: 4 }]);
    expect(describeChange(changes[0]!)).toBe('backends.api.algorithm: roundrobin -> random');
  });

  it('ignores comments, key order and formatting', () => {
    const a = yaml('a: 1\nb: {c: 2, d: [1, 2]}\n');
    const b = yaml('# x\nb:\n  d:\n    - 1\n    - 2\n  c: 2   # trailing\na: 1\n');
    expect(compareTrees(a, b, opts)).toEqual([]);
    expect(a.canonical).toBe(b.canonical);
  });

  it('compares named list items by name, and reports added, removed and moved servers', () => {
    const a = yaml('backends:\n  api:\n    servers:\n      - {name: s1, weight: 1}\n      - {name: s2, weight: 1}\n      - {name: s3, weight: 1}\n');
    const b = yaml('backends:\n  api:\n    servers:\n      - {name: s2, weight: 1}\n      - {name: s1, weight: 5}\n      - {name: s4, weight: 1}\n');
    const changes = compareTrees(a, b, opts).map((c) => [c.path, c.kind, c.severity]);
    expect(changes).toContainEqual(['backends.api.servers.s1.weight', 'changed', 'high']);
    expect(changes).toContainEqual(['backends.api.servers.s3', 'removed', 'high']);
    expect(changes).toContainEqual(['backends.api.servers.s4', 'added', 'high']);
    expect(changes).toContainEqual(['backends.api.servers.s1', 'moved', 'high']);
  });

  it('reports a removed backend as critical and a timeout as medium', () => {
    const a = yaml('backends:\n  api: {timeout_server: 30s}\n  old: {algorithm: roundrobin}\n');
    const b = yaml('backends:\n  api: {timeout_server: 5s}\n');
    const bySeverity = Object.fromEntries(compareTrees(a, b, opts).map((c) => [c.path, c.severity]));
    expect(bySeverity).toEqual({ 'backends.api.timeout_server': 'medium', 'backends.old': 'critical' });
  });

  it('drops differences matched by ignore globs (and everything under them)', () => {
    const a = yaml('backends:\n  api:\n    servers:\n      - {name: s1, weight: 1}\n    algorithm: roundrobin\n');
    const b = yaml('backends:\n  api:\n    servers:\n      - {name: s1, weight: 9}\n    algorithm: roundrobin\n');
    expect(compareTrees(a, b, { ...opts, ignore: ['backends.*.servers.*.weight'] })).toEqual([]);
    expect(compareTrees(a, b, { ...opts, ignore: ['backends.api'] })).toEqual([]);
    expect(compareTrees(a, b, { ...opts, ignore: ['frontends.**'] })).toHaveLength(1);
  });

  it('lets user rules come first', () => {
    const a = yaml('log_level: info\n');
    const b = yaml('log_level: debug\n');
    expect(compareTrees(a, b, opts)[0]?.severity).toBe('low');
    const rules = [{ path: 'log_level', severity: 'critical' as const }, ...DEFAULT_SEVERITY_RULES];
    expect(compareTrees(a, b, { ...opts, rules })[0]?.severity).toBe('critical');
  });

  it('compares unnamed lists by content, reporting pure reordering as moved', () => {
    const a = yaml('acl: [a, b, c]\n');
    expect(compareTrees(a, yaml('acl: [c, b, a]\n'), opts).map((c) => c.kind)).toEqual(['moved']);
    expect(compareTrees(a, yaml('acl: [a, b, d]\n'), opts).map((c) => `${c.kind} ${c.path}`)).toEqual(['removed acl[2]', 'added acl[2]']);
  });

  it('treats text files as a whole, normalising only white space and line endings', () => {
    const a = parseFormat('line one\nline two\n', 'a', 'text');
    expect(compareTrees(a, parseFormat('line one  \r\nline two\r\n\r\n', 'b', 'text'), opts)).toEqual([]);
    const changes = compareTrees(a, parseFormat('line one\nline 2\n', 'b', 'text'), opts);
    expect(changes).toEqual([{ path: '(content)', kind: 'changed', severity: 'low' }]);
    expect(describeChange(changes[0]!)).toBe('content differs (no semantic model for it: `driftwarden diff` shows the lines)');
  });
});
