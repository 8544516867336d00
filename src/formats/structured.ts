import { createRequire } from 'node:module';
import type { Document, LineCounter, Node } from 'yaml';

// Loaded on the first parse: most checks compare equal bytes and never parse (a faster start).
let loaded: typeof import('yaml') | undefined;
const Y = (): typeof import('yaml') => (loaded ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
import { ParseError } from '../errors.js';
import { jsonErrorOffset } from './json-check.js';
import { parseYamlSubset } from './yaml-subset.js';
import { normalizeText } from '../diff/normalize.js';
import { canonicalJson, identityKey, joinPath, type ConfigTree, type TreeValue } from '../diff/tree.js';

const MAX_DEPTH = 200;
const MAX_ALIAS_EXPANSIONS = 10_000;

/**
 * Parses YAML or JSON (a YAML subset) into a ConfigTree with a line for every path.
 * Errors never quote the source text, so a secret on a bad line is not echoed.
 */
export function parseStructured(text: string, origin: string, format: 'yaml' | 'json'): ConfigTree {
  const fast = format === 'yaml' ? parseYamlSubset(text) : undefined;
  if (fast) return { format, root: fast.root, normalized: normalizeText(text), canonical: canonicalJson(fast.root), lines: fast.lines };
  return parseWithLibrary(text, origin, format);
}

/** parseStructured through the `yaml` library alone: every input, every error with its line. */
export function parseWithLibrary(text: string, origin: string, format: 'yaml' | 'json'): ConfigTree {
  if (format === 'json') strictJson(text, origin);
  const lineCounter = new (Y().LineCounter)();
  const doc = Y().parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.pos ? lineCounter.linePos(first.pos[0]).line : undefined;
    throw new ParseError(origin, line, `invalid ${format.toUpperCase()} (${first.code.toLowerCase().replace(/_/g, ' ')})`);
  }
  const lines = new Map<string, number>();
  const walker = new Walker(doc, lineCounter, lines, origin);
  const root = doc.contents ? walker.walk(doc.contents as Node, '', 0) : null;
  return { format, root, normalized: normalizeText(text), canonical: canonicalJson(root), lines };
}

/** Two linear passes: `value` builds the tree, `record` maps each path to its source line. */
class Walker {
  private aliases = 0;
  constructor(
    private readonly doc: Document,
    private readonly counter: LineCounter,
    private readonly lines: Map<string, number>,
    private readonly origin: string,
  ) {}

  walk(node: Node, path: string, depth: number): TreeValue {
    const value = this.value(node, depth);
    this.record(node, value, path, depth);
    return value;
  }

  private lineOf(node: Node): number | undefined {
    return node.range ? this.counter.linePos(node.range[0]).line : undefined;
  }

  private resolve(node: Node, depth: number): Node {
    if (depth > MAX_DEPTH) throw new ParseError(this.origin, this.lineOf(node), `nesting deeper than ${MAX_DEPTH} levels`);
    if (!Y().isAlias(node)) return node;
    if (++this.aliases > MAX_ALIAS_EXPANSIONS) {
      throw new ParseError(this.origin, this.lineOf(node), 'too many alias expansions (possible alias bomb)');
    }
    const target = node.resolve(this.doc);
    if (!target) throw new ParseError(this.origin, this.lineOf(node), `unresolved alias *${node.source}`);
    return this.resolve(target as Node, depth + 1);
  }

  private value(raw: Node, depth: number): TreeValue {
    const node = this.resolve(raw, depth);
    if (Y().isScalar(node)) return toScalar(node.value);
    if (Y().isMap(node)) {
      const out: Record<string, TreeValue> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = keyNode && Y().isScalar(keyNode) ? String(keyNode.value) : String(pair.key);
        // defineProperty: a key named __proto__ is data, not the object's prototype.
        Object.defineProperty(out, key, { value: pair.value ? this.value(pair.value as Node, depth + 1) : null, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (Y().isSeq(node)) return node.items.map((item) => (item ? this.value(item as Node, depth + 1) : null));
    return null;
  }

  private record(raw: Node, value: TreeValue, path: string, depth: number): void {
    if (depth > MAX_DEPTH) return;
    const line = this.lineOf(raw);
    if (line !== undefined && !this.lines.has(path)) this.lines.set(path, line);
    if (Y().isAlias(raw)) return; // lines of an alias's target belong to the anchor's place
    if (Y().isMap(raw) && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const pair of raw.items) {
        const keyNode = pair.key as Node | null;
        const key = keyNode && Y().isScalar(keyNode) ? String(keyNode.value) : String(pair.key);
        const childPath = joinPath(path, key);
        const keyLine = keyNode ? this.lineOf(keyNode) : undefined;
        if (keyLine !== undefined) this.lines.set(childPath, keyLine);
        if (pair.value) this.record(pair.value as Node, value[key] ?? null, childPath, depth + 1);
      }
    } else if (Y().isSeq(raw) && Array.isArray(value)) {
      const key = identityKey(value);
      raw.items.forEach((item, i) => {
        const v = value[i] ?? null;
        const childPath = key && v && typeof v === 'object' && !Array.isArray(v) ? joinPath(path, String(v[key])) : `${path}[${i}]`;
        if (item) this.record(item as Node, v, childPath, depth + 1);
      });
    }
  }
}

/** YAML accepts more than JSON (trailing commas, comments): JSON must pass JSON.parse too. */
function strictJson(text: string, origin: string): void {
  const at = jsonErrorOffset(text.replace(/^\uFEFF/, ''));
  if (at < 0) return;
  const line = text.slice(0, at).split('\n').length;
  throw new ParseError(origin, line, at >= text.length ? 'invalid JSON (unexpected end: a bracket or quote is not closed)' : 'invalid JSON (check commas, quotes and brackets)');
}

function toScalar(v: unknown): TreeValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  return String(v);
}
