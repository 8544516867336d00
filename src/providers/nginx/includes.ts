import { isAbsolute, posix, relative } from 'node:path';
import type { FileSource } from '../provider.js';
import { ParseError } from '../../errors.js';
import { parseNginx, type NginxDirective } from './lexer.js';

/** Where the files that `include` names come from: the `nginx -T` dump, or the approved commit in Git. */
export interface IncludeSource {
  /** Files matching an include pattern, given relative to the main config's folder (`conf.d/*.conf`). */
  list(relativePattern: string): Promise<{ file: string; text: string }[]>;
}

const MAX_DEPTH = 10;

/** An include's pattern relative to the main config's folder, or undefined when it points outside it. */
export function relativePattern(pattern: string, configDir: string): string | undefined {
  if (!isAbsolute(pattern)) return posix.normalize(pattern);
  const rel = relative(configDir, pattern);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
}

/**
 * Replaces `include` directives by the directives of the files they name, recursively, keeping
 * each directive's own file and line. Only patterns in `only` (when given) are expanded, so both
 * sides of a comparison expand the same includes; the others stay as `include` lines.
 * Returns the patterns it expanded.
 */
export async function expandIncludes(list: NginxDirective[], configDir: string, source: IncludeSource, only?: ReadonlySet<string>, depth = 0): Promise<{ directives: NginxDirective[]; expanded: string[] }> {
  // Nothing to expand (most configs, and most blocks): the same directives, not a copy of each.
  if (!hasInclude(list)) return { directives: list, expanded: [] };
  const out: NginxDirective[] = [];
  const expanded = new Set<string>();
  for (const d of list) {
    if (d.block) {
      if (!hasInclude(d.block)) {
        out.push(d);
        continue;
      }
      const inner = await expandIncludes(d.block, configDir, source, only, depth);
      inner.expanded.forEach((p) => expanded.add(p));
      out.push({ ...d, block: inner.directives });
      continue;
    }
    const pattern = d.name === 'include' && d.args.length === 1 ? relativePattern(d.args[0] as string, configDir) : undefined;
    if (pattern === undefined || (only && !only.has(pattern))) {
      out.push(d);
      continue;
    }
    if (depth >= MAX_DEPTH) throw new ParseError(d.file, d.line, `includes nested deeper than ${MAX_DEPTH} levels (an include loop?)`);
    const files = await source.list(pattern);
    if (files.length === 0) {
      out.push(d);
      continue;
    }
    expanded.add(pattern);
    for (const f of files) {
      const inner = await expandIncludes(parseNginx(f.text, f.file), configDir, source, only, depth + 1);
      inner.expanded.forEach((p) => expanded.add(p));
      out.push(...inner.directives);
    }
  }
  return { directives: out, expanded: [...expanded].sort() };
}

function hasInclude(list: NginxDirective[]): boolean {
  return list.some((d) => d.name === 'include' || (d.block !== undefined && hasInclude(d.block)));
}

/** A shell-style glob (`*`, `?`, `[...]`) over a relative path, as nginx's include uses. */
export function globToRegex(pattern: string): RegExp {
  let src = '';
  for (const c of pattern) {
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[' || c === ']') src += c;
    else src += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** An include source over a provider-neutral FileSource (the dump's files, or the approved commit's). */
export function includeSource(fs: FileSource): IncludeSource {
  return {
    async list(pattern) {
      const re = globToRegex(pattern);
      const out: { file: string; text: string }[] = [];
      for (const rel of (await fs.list()).filter((r) => re.test(r)).sort()) {
        const text = await fs.read(rel);
        if (text !== null) out.push({ file: fs.label(rel), text });
      }
      return out;
    },
  };
}
