import { describe, expect, it } from 'vitest';
import { globMatches, matchesAnyOrAncestor } from '../../../src/diff/glob.js';
import { severityOf, DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';

describe('globs over semantic paths', () => {
  it('matches one segment with *, any depth with **, alternatives with {}', () => {
    expect(globMatches('backends.*.algorithm', 'backends.api.algorithm')).toBe(true);
    expect(globMatches('backends.*.algorithm', 'backends.api.x.algorithm')).toBe(false);
    expect(globMatches('**.weight', 'backends.api.servers.s1.weight')).toBe(true);
    expect(globMatches('**.weight', 'weight')).toBe(true);
    expect(globMatches('**.{timeout*,retries}', 'defaults.timeout_connect')).toBe(true);
    expect(globMatches('a.b', 'a.bc')).toBe(false);
    expect(matchesAnyOrAncestor(['backends.api'], 'backends.api.servers.s1')).toBe(true);
  });

  it('gives the postmortem change the critical severity by default', () => {
    expect(severityOf('backends.api.algorithm', 'changed', DEFAULT_SEVERITY_RULES)).toBe('critical');
    expect(severityOf('backends.api', 'removed', DEFAULT_SEVERITY_RULES)).toBe('critical');
    expect(severityOf('backends.api', 'added', DEFAULT_SEVERITY_RULES)).toBe('low');
    expect(severityOf('something.else', 'changed', DEFAULT_SEVERITY_RULES)).toBe('low');
  });
});

describe('paths with dots in a segment', () => {
  it('quotes such segments and matches them as one segment', async () => {
    const { joinPath, splitPath } = await import('../../../src/diff/tree.js');
    const path = joinPath(joinPath('upstreams.app.servers', '10.0.0.3:8080'), 'weight');
    expect(path).toBe('upstreams.app.servers."10.0.0.3:8080".weight');
    expect(splitPath(path)).toEqual(['upstreams', 'app', 'servers', '10.0.0.3:8080', 'weight']);
    expect(globMatches('upstreams.*.servers.*.weight', path)).toBe(true);
    expect(globMatches('**.weight', path)).toBe(true);
    expect(matchesAnyOrAncestor(['upstreams.app.servers."10.0.0.3:8080"'], path)).toBe(true);
    expect(splitPath('a.rules[2].b')).toEqual(['a', 'rules[2]', 'b']);
  });
});
