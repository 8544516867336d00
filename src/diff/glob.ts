import { splitPath } from './tree.js';

/**
 * Globs over semantic paths: `*` is one segment (or part of one), `**` any number of segments
 * (including none), `{a,b}` alternatives within a segment. Matching is per segment, so a quoted
 * segment holding dots (`"10.0.0.3:8080"`) is one segment. List positions (`[3]`) are ignored:
 * `rules[3]` matches `**.rules`.
 *
 * Severity rules are matched against every change, and a big drift has thousands: a glob is
 * split once (globSegments) and each of its segments is matched as cheaply as its form allows
 * (a literal compares strings, `{a,b}` looks in a set, the rest use a regular expression).
 */
const segmentCache = new Map<string, RegExp>();
const globCache = new Map<string, SegmentMatcher[]>();
/** Keys of both caches come from config; bounded even across many reloads. */
const CACHE_LIMIT = 10_000;

/** One segment of a glob: `**`, a literal, a set of literal alternatives, or a pattern. */
type SegmentMatcher = { kind: 'any' } | { kind: 'literal'; text: string } | { kind: 'set'; texts: ReadonlySet<string> } | { kind: 'pattern'; part: string };

export function globMatches(glob: string, path: string): boolean {
  return matchSegments(globSegments(glob), pathSegments(path));
}

/** The segments of a path as globs see them: list positions dropped. */
export function pathSegments(path: string): string[] {
  const segments = splitPath(path);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg.includes('[')) segments[i] = seg.replace(/\[\d+\]/g, '');
  }
  return segments;
}

/** A glob, split and classified once. */
export function globSegments(glob: string): readonly SegmentMatcher[] {
  let compiled = globCache.get(glob);
  if (compiled) return compiled;
  compiled = splitPath(glob).map(classify);
  if (globCache.size >= CACHE_LIMIT) globCache.clear();
  globCache.set(glob, compiled);
  return compiled;
}

export function matchSegments(pattern: readonly SegmentMatcher[], segs: readonly string[]): boolean {
  // A match ends with the glob's last segment on the path's last one: most rules (`**.weight`)
  // fail right there. Only literals and sets are tried early; a pattern compiles only when reached.
  const last = pattern[pattern.length - 1];
  if (last && (last.kind === 'literal' || last.kind === 'set') && (segs.length === 0 || !segmentMatches(last, segs[segs.length - 1] as string))) return false;
  return match(pattern, 0, segs, 0);
}

function classify(part: string): SegmentMatcher {
  if (part === '**') return { kind: 'any' };
  const star = part.includes('*');
  const open = part.indexOf('{');
  if (!star && open === -1) return { kind: 'literal', text: part };
  // `{a,b,c}` and nothing else: the pattern ^(?:a|b|c)$ of literals is a set lookup.
  if (!star && open === 0 && part.indexOf('{', 1) === -1 && part.indexOf('}') === part.length - 1) {
    return { kind: 'set', texts: new Set(part.slice(1, -1).split(',')) };
  }
  return { kind: 'pattern', part };
}

function match(pattern: readonly SegmentMatcher[], p: number, segs: readonly string[], s: number): boolean {
  if (p === pattern.length) return s === segs.length;
  const part = pattern[p] as SegmentMatcher;
  if (part.kind === 'any') {
    for (let k = s; k <= segs.length; k++) if (match(pattern, p + 1, segs, k)) return true;
    return false;
  }
  return s < segs.length && segmentMatches(part, segs[s] as string) && match(pattern, p + 1, segs, s + 1);
}

/**
 * What a set of globs can tell apart in a segment: the literal texts they name, and their
 * patterns (segments with `*`). Two segments that are the same literal, or both no literal and
 * matched by the same patterns, match every one of those globs alike (see severity.ts).
 */
export function segmentVocabulary(globs: readonly string[]): { literals: Set<string>; patterns: string[] } {
  const literals = new Set<string>();
  const patterns = new Set<string>();
  for (const glob of globs) {
    for (const part of globSegments(glob)) {
      if (part.kind === 'literal') literals.add(part.text);
      else if (part.kind === 'set') for (const text of part.texts) literals.add(text);
      else if (part.kind === 'pattern') patterns.add(part.part);
    }
  }
  return { literals, patterns: [...patterns] };
}

/** Whether one segment matches a pattern segment of a glob (`tls*`, `*_timeout`, `{ssl_*,allow}`). */
export function patternMatches(pattern: string, seg: string): boolean {
  return segmentRegex(pattern).test(seg);
}

function segmentMatches(part: Exclude<SegmentMatcher, { kind: 'any' }>, seg: string): boolean {
  switch (part.kind) {
    case 'literal':
      return part.text === seg;
    case 'set':
      return part.texts.has(seg);
    case 'pattern':
      // Compiled when first needed, as before: a malformed glob throws only if it is reached.
      return segmentRegex(part.part).test(seg);
  }
}

function segmentRegex(part: string): RegExp {
  let re = segmentCache.get(part);
  if (re) return re;
  if (segmentCache.size >= CACHE_LIMIT) segmentCache.clear();
  let src = '';
  let inBraces = false;
  for (const ch of part) {
    if (ch === '*') src += '.*';
    else if (ch === '{') { src += '(?:'; inBraces = true; }
    else if (ch === '}' && inBraces) { src += ')'; inBraces = false; }
    else if (ch === ',' && inBraces) src += '|';
    else src += ch.replace(/[\\^$+?.()[\]|]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  if (segmentCache.size < CACHE_LIMIT) segmentCache.set(part, re);
  return re;
}

/** True when `path` or one of its ancestors matches one of the globs. */
export function matchesAnyOrAncestor(globs: readonly string[], path: string): boolean {
  if (globs.length === 0) return false;
  const segments = splitPath(path);
  for (let n = segments.length; n > 0; n--) {
    const prefix = segments.slice(0, n).reduce((acc, seg) => (acc ? `${acc}.${quote(seg)}` : quote(seg)), '');
    if (globs.some((g) => globMatches(g, prefix))) return true;
  }
  return false;
}

function quote(seg: string): string {
  return /[."]/.test(seg.replace(/\[\d+\]$/, '')) ? JSON.stringify(seg) : seg;
}
