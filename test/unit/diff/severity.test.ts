import { describe, expect, it } from 'vitest';
import { globMatches } from '../../../src/diff/glob.js';
import { CHANGE_KINDS, DEFAULT_SEVERITY, DEFAULT_SEVERITY_RULES, severityOf, severityOfSegments, type ChangeKind, type Severity, type SeverityRule } from '../../../src/diff/severity.js';
import { joinPath } from '../../../src/diff/tree.js';
import { rng } from '../../helpers/rng.js';

/** The rule table read the plain way: the first rule whose kind and glob match. */
function reference(path: string, kind: ChangeKind, rules: readonly SeverityRule[]): Severity {
  for (const rule of rules) if ((!rule.kind || rule.kind.includes(kind)) && globMatches(rule.path, path)) return rule.severity;
  return DEFAULT_SEVERITY;
}

const USER_RULES: SeverityRule[] = [
  { path: 'backends.api.*', severity: 'critical' },
  { path: 'backends.pool_0*.servers.s2.weight', severity: 'low' },
  { path: '**.servers.{s1,s3}', kind: ['removed'], severity: 'medium' },
  { path: '**.*-ssl*', severity: 'critical' },
];

const WORDS = ['backends', 'frontends', 'upstreams', 'api', 'pool_007', 'pool_1', 'servers', 's1', 's2', 's3', 'weight', 'address', 'algorithm', 'timeout', 'server', 'tls_verify', 'ssl_ciphers', 'check-ssl', 'health', 'inter', 'log', 'access_log', 'option', 'httpchk', 'x-check', '10.0.0.3:8080', 'rules'];

describe('severity of many changes', () => {
  it('rates every path as the rule table read in order does, for the default and user rules (the memo by path shape changes nothing)', () => {
    const next = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    for (const rules of [DEFAULT_SEVERITY_RULES, [...USER_RULES, ...DEFAULT_SEVERITY_RULES]]) {
      for (let i = 0; i < 3000; i++) {
        const segments = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(WORDS));
        const path = segments.reduce((p, s) => joinPath(p, s), '');
        const kind = pick(CHANGE_KINDS);
        const want = reference(path, kind, rules);
        // A copy of the table each time, as every check builds one: it must not matter.
        expect(severityOfSegments(segments, kind, [...rules]), `${kind} ${path}`).toBe(want);
        expect(severityOf(path, kind, rules)).toBe(want);
      }
    }
  });

  it('a name a user rule spells out is told apart from names it does not', () => {
    const rules = [...USER_RULES, ...DEFAULT_SEVERITY_RULES];
    expect(severityOfSegments(['backends', 'api', 'mode'], 'changed', rules)).toBe('critical');
    expect(severityOfSegments(['backends', 'web', 'mode'], 'changed', rules)).toBe('low');
    expect(severityOfSegments(['backends', 'pool_03', 'servers', 's2', 'weight'], 'changed', rules)).toBe('low');
    expect(severityOfSegments(['backends', 'pool_13', 'servers', 's2', 'weight'], 'changed', rules)).toBe('high');
  });

  it('a malformed glob is still only a problem where it is reached', () => {
    const rules: SeverityRule[] = [{ path: '**.weight', severity: 'high' }, { path: '**.{broken', severity: 'low' }];
    expect(severityOfSegments(['backends', 'a', 'weight'], 'changed', rules)).toBe('high');
  });
});
