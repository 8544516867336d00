/**
 * Globs over target names (`prod-*`, `edge-?`, `{api,web}-lb`): `*` any run of characters, `?` one,
 * `{a,b}` alternatives. Target names are lowercase letters, digits and dashes, so nothing else
 * needs escaping rules of its own.
 */
export function targetGlobMatches(glob: string, name: string): boolean {
  return compile(glob).test(name);
}

const compiled = new Map<string, RegExp>();

function compile(glob: string): RegExp {
  let re = compiled.get(glob);
  if (re) return re;
  let source = '';
  let inSet = false;
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '{' && !inSet) {
      inSet = true;
      source += '(?:';
    } else if (c === '}' && inSet) {
      inSet = false;
      source += ')';
    } else if (c === ',' && inSet) source += '|';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (inSet) source += ')';
  re = new RegExp(`^${source}$`);
  if (compiled.size > 1_000) compiled.clear();
  compiled.set(glob, re);
  return re;
}
