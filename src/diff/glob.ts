/**
 * Globs over dotted semantic paths: `*` is one segment (or part of one), `**` any number of
 * segments (including none), `{a,b}` alternatives within a segment. List positions (`[3]`)
 * are ignored: `rules[3]` matches `**.rules`.
 */
const cache = new Map<string, RegExp>();

export function globMatches(glob: string, path: string): boolean {
  let re = cache.get(glob);
  if (!re) {
    re = compile(glob);
    if (cache.size < 10_000) cache.set(glob, re);
  }
  return re.test(path.replace(/\[\d+\]/g, ''));
}

function compile(glob: string): RegExp {
  const parts = glob.split('.');
  let src = '';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') {
      src += last ? '.*' : '(?:[^.]*\\.)*';
      return;
    }
    src += segment(part) + (last ? '' : '\\.');
  });
  return new RegExp(`^${src}$`);
}

function segment(part: string): string {
  let out = '';
  let inBraces = false;
  for (const ch of part) {
    if (ch === '*') out += '[^.]*';
    else if (ch === '{') { out += '(?:'; inBraces = true; }
    else if (ch === '}' && inBraces) { out += ')'; inBraces = false; }
    else if (ch === ',' && inBraces) out += '|';
    else out += ch.replace(/[\\^$+?()[\]|]/g, '\\$&');
  }
  return out;
}

/** True when `path` or one of its ancestors matches one of the globs. */
export function matchesAnyOrAncestor(globs: readonly string[], path: string): boolean {
  if (globs.length === 0) return false;
  const segments = path.split('.');
  for (let n = segments.length; n > 0; n--) {
    const prefix = segments.slice(0, n).join('.');
    if (globs.some((g) => globMatches(g, prefix))) return true;
  }
  return false;
}
