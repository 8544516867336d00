import { identityKey, joinPath, type TreeValue } from '../diff/tree.js';

/**
 * A fast path for the YAML that config files are made of: block mappings and sequences of
 * one-line scalars (plain, or quoted without escapes), with comments. About ten times faster
 * than the full library, which a first pass over a fleet pays for every drifted file.
 *
 * It gives exactly what parseStructured gives through the `yaml` library (the same tree, the
 * same line for every path) or nothing: anything outside the subset (flow collections, anchors,
 * tags, block or multi-line scalars, escapes, tabs, CR, documents markers, non-string keys,
 * duplicate keys, odd indentation) returns undefined, and the library parses the text, with its
 * errors and their lines. test/unit/formats/yaml-subset.test.ts holds it to that, input by input.
 */
export function parseYamlSubset(text: string): { root: TreeValue; lines: Map<string, number> } | undefined {
  const lines = splitLines(text);
  if (lines === undefined || lines.length === 0) return undefined;
  const parser = new SubsetParser(lines);
  const node = parser.block((lines[0] as Line).indent, 0);
  if (node === undefined || parser.at !== lines.length) return undefined;
  const out = new Map<string, number>();
  const root = toValue(node);
  record(node, root, '', out);
  return { root, lines: out };
}

interface Line {
  indent: number;
  /** The line after its indentation. */
  text: string;
  /** 1-based. */
  line: number;
  /** splitEntry(text), when already known (a list item's first key). */
  entry?: { key: string; rest: string };
}

type Node =
  | { kind: 'map'; line: number; entries: { key: string; line: number; value: Node | null }[] }
  | { kind: 'seq'; line: number; items: Node[] }
  | { kind: 'scalar'; line: number; value: TreeValue };

/** Deeper than this is left to the library (which enforces its own limit with an error). */
const MAX_DEPTH = 100;
/** The library (strict) rejects implicit keys longer than 1024 characters. */
const MAX_KEY = 1000;

/** Tabs, CR, other control characters, a byte order mark: the library knows what they mean there. */
// eslint-disable-next-line no-control-regex
const UNUSUAL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff]/;

/** Lines with content (blank and comment lines left out); undefined for what the subset leaves out. */
function splitLines(text: string): Line[] | undefined {
  if (UNUSUAL.test(text)) return undefined;
  const out: Line[] = [];
  let start = 0;
  let n = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === 32) indent++;
    if (indent < end && text.charCodeAt(indent) !== 35 /* # */) {
      const body = text.slice(indent, end);
      // Directives, document markers: left to the library.
      if (indent === start && (body.startsWith('---') || body.startsWith('...') || body.startsWith('%'))) return undefined;
      out.push({ indent: indent - start, text: body, line: n });
    }
    start = end + 1;
  }
  return out;
}

class SubsetParser {
  at = 0;
  constructor(private readonly lines: Line[]) {}

  /** The block starting at the current line, which has this indentation. */
  block(indent: number, depth: number): Node | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const first = this.lines[this.at];
    if (!first || first.indent !== indent) return undefined;
    return isItem(first.text) ? this.seq(indent, depth) : this.map(indent, depth);
  }

  private map(indent: number, depth: number): Node | undefined {
    const entries: { key: string; line: number; value: Node | null }[] = [];
    const seen = new Set<string>();
    const start = (this.lines[this.at] as Line).line;
    while (this.at < this.lines.length) {
      const l = this.lines[this.at] as Line;
      if (l.indent < indent) break;
      if (l.indent > indent || isItem(l.text)) return undefined;
      const entry = l.entry ?? splitEntry(l.text);
      if (!entry || seen.has(entry.key)) return undefined;
      seen.add(entry.key);
      this.at++;
      let value: Node | null;
      if (entry.rest === '') {
        const next = this.lines[this.at];
        if (next && next.indent > indent) value = this.block(next.indent, depth + 1) ?? null;
        // A sequence may sit at its key's indentation.
        else if (next && next.indent === indent && isItem(next.text)) value = this.seq(indent, depth + 1) ?? null;
        else value = { kind: 'scalar', line: l.line, value: null };
        if (value === null) return undefined;
        if (value.kind === 'scalar') {
          // `key:` alone: no value node at all (its line is the key's).
          entries.push({ key: entry.key, line: l.line, value: null });
          continue;
        }
      } else {
        const scalar = inlineScalar(entry.rest);
        if (scalar === undefined) return undefined;
        value = { kind: 'scalar', line: l.line, value: scalar };
      }
      entries.push({ key: entry.key, line: l.line, value });
    }
    return { kind: 'map', line: start, entries };
  }

  private seq(indent: number, depth: number): Node | undefined {
    const items: Node[] = [];
    const start = (this.lines[this.at] as Line).line;
    while (this.at < this.lines.length) {
      const l = this.lines[this.at] as Line;
      if (l.indent < indent) break;
      if (l.indent > indent) return undefined;
      if (!isItem(l.text)) break; // the end of a sequence at its key's indentation
      let skip = 1;
      while (l.text.charCodeAt(skip) === 32) skip++;
      const rest = l.text.slice(skip);
      if (rest === '' || rest.startsWith('#') || isItem(rest)) return undefined; // `-` alone, `- - x`: left to the library
      const entry = splitEntry(rest);
      if (entry) {
        // `- key: value`: a mapping whose keys line up after the dash.
        this.lines[this.at] = { indent: l.indent + skip, text: rest, line: l.line, entry };
        const item = this.map(l.indent + skip, depth + 1);
        if (!item) return undefined;
        items.push(item);
      } else {
        const scalar = inlineScalar(withoutComment(rest));
        if (scalar === undefined) return undefined;
        this.at++;
        items.push({ kind: 'scalar', line: l.line, value: scalar });
      }
    }
    return { kind: 'seq', line: start, items };
  }
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** `key: rest` (rest without its comment); undefined when the line is not a plain-key entry. */
function splitEntry(text: string): { key: string; rest: string } | undefined {
  const first = text.charCodeAt(0);
  if (INDICATORS.has(first) || first === 34 || first === 39) return undefined; // quoted keys: the library
  let colon = -1;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    const after = text.charCodeAt(i + 1);
    if (Number.isNaN(after) || after === 32) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) return undefined;
  const key = trimEnd(text.slice(0, colon));
  if (key.length === 0 || key.length > MAX_KEY || key === '<<' || key.includes(' #') || !plainStart(key)) return undefined;
  if (typeof resolvePlain(key) !== 'string') return undefined; // `1:`, `true:`, `~:` are not string keys
  return { key, rest: withoutComment(text.slice(colon + 1)) };
}

/** The text before a comment (`#` after a space, or at the start), trimmed. */
function withoutComment(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 32) start++;
  const trimmed = text.slice(start);
  if (trimmed.startsWith('#')) return '';
  // Quoted scalars may hold ` #`: inlineScalar finds their end itself.
  if (trimmed.startsWith('"') || trimmed.startsWith("'")) return trimEnd(trimmed);
  const hash = trimmed.indexOf(' #');
  return trimEnd(hash >= 0 ? trimmed.slice(0, hash) : trimmed);
}

/** Without trailing spaces: YAML's white space is the space (tabs are left to the library), not JavaScript's. */
function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return text.slice(0, end);
}

/** `[]{},#&*!|>'"%@` and the backquote: a plain scalar cannot start with these. */
const INDICATORS = new Set([...'[]{},#&*!|>%@`'].map((c) => c.charCodeAt(0)));

/** A plain scalar's first characters: no indicator; `-`, `?`, `:` only before a non-space. */
function plainStart(text: string): boolean {
  const c = text.charCodeAt(0);
  if (INDICATORS.has(c) || c === 34 || c === 39) return false;
  if (c === 45 || c === 63 || c === 58) return text.length > 1 && text.charCodeAt(1) !== 32;
  return true;
}

/** A one-line scalar value; undefined when the library must read it. */
function inlineScalar(text: string): TreeValue | undefined {
  const q = text.charCodeAt(0);
  if (q === 34) {
    const end = text.indexOf('"', 1);
    if (end < 0 || text.slice(1, end).includes('\\') || !onlyComment(text.slice(end + 1))) return undefined;
    return text.slice(1, end);
  }
  if (q === 39) {
    let value = '';
    let i = 1;
    for (;;) {
      const end = text.indexOf("'", i);
      if (end < 0) return undefined;
      value += text.slice(i, end);
      if (text.charCodeAt(end + 1) === 39) {
        value += "'";
        i = end + 2;
        continue;
      }
      return onlyComment(text.slice(end + 1)) ? value : undefined;
    }
  }
  if (!plainStart(text) || text.includes(': ') || text.endsWith(':')) return undefined;
  return toScalar(resolvePlain(text));
}

/** After a closing quote: nothing, or a comment after a space. */
function onlyComment(text: string): boolean {
  return /^ *$|^ +#/.test(text);
}

/** What the YAML 1.2 core schema makes of a plain scalar (the `yaml` library's default). */
function resolvePlain(s: string): string | number | boolean | null {
  // Most values and keys start with a letter that no null, boolean or number starts with.
  const c = s.charCodeAt(0) | 0x20;
  if (c >= 0x61 && c <= 0x7a && c !== 0x74 /* t */ && c !== 0x66 /* f */ && c !== 0x6e /* n */) return s;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === 't' || s[0] === 'T';
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  return s;
}

/** As parseStructured's toScalar: a number that JSON cannot hold becomes its string. */
function toScalar(v: string | number | boolean | null): TreeValue {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

function toValue(node: Node): TreeValue {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toValue);
  const out: Record<string, TreeValue> = {};
  for (const e of node.entries) {
    const value = e.value ? toValue(e.value) : null;
    // defineProperty: a key named __proto__ is data, not the object's prototype.
    if (e.key === '__proto__') Object.defineProperty(out, e.key, { value, enumerable: true, writable: true, configurable: true });
    else out[e.key] = value;
  }
  return out;
}

/** The line of every path, as parseStructured records them: a key's line, a list item's own line. */
function record(node: Node, value: TreeValue, path: string, lines: Map<string, number>): void {
  if (!lines.has(path)) lines.set(path, node.line);
  if (node.kind === 'map' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const e of node.entries) {
      const childPath = joinPath(path, e.key);
      lines.set(childPath, e.line);
      if (e.value) record(e.value, value[e.key] ?? null, childPath, lines);
    }
  } else if (node.kind === 'seq' && Array.isArray(value)) {
    const key = identityKey(value);
    node.items.forEach((item, i) => {
      const v = value[i] ?? null;
      const childPath = key && v && typeof v === 'object' && !Array.isArray(v) ? joinPath(path, String(v[key])) : `${path}[${i}]`;
      record(item, v, childPath, lines);
    });
  }
}
