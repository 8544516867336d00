import { splitPath } from './tree.js';

/**
 * Globs over semantic paths: `*` is one segment (or part of one), `**` any number of segments
 * (including none), `{a,b}` alternatives within a segment. Matching is per segment, so a quoted
 * segment holding dots (`"10.0.0.3:8080"`) is one segment. List positions (`[3]`) are ignored:
 * `rules[3]` matches `**.rules`.
 */
const segmentCache = new Map<string, RegExp>();

export function globMatches(glob: string, path: string): boolean {
  const pattern = splitPath(glob);
  const segments = splitPath(path).map((s) => s.replace(/\[\d+\]/g, ''));
  return match(pattern, 0, segments, 0);
}

function match(pattern: string[], p: number, segs: string[], s: number): boolean {
  if (p === pattern.length) return s === segs.length;
  const part = pattern[p] as string;
  if (part === '**') {
    for (let k = s; k <= segs.length; k++) if (match(pattern, p + 1, segs, k)) return true;
    return false;
  }
  return s < segs.length && segmentRegex(part).test(segs[s] as string) && match(pattern, p + 1, segs, s + 1);
}

function segmentRegex(part: string): RegExp {
  let re = segmentCache.get(part);
  if (re) return re;
  if (segmentCache.size >= 10_000) segmentCache.clear(); // keys come from config; bounded even across many reloads
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
  if (segmentCache.size < 10_000) segmentCache.set(part, re);
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
