/** The shared, format-independent model that every parser produces and `compare` consumes. */

export type Scalar = string | number | boolean | null;
export type TreeValue = Scalar | TreeValue[] | { [key: string]: TreeValue };
export type TreeObject = { [key: string]: TreeValue };

/**
 * A parsed configuration. `root` is null for formats without semantics (`text`),
 * in which case only `normalized` is compared.
 */
export interface ConfigTree {
  format: string;
  root: TreeValue | null;
  /** Whitespace-normalised text: what the unified diff shows. */
  normalized: string;
  /** Canonical form: equal canonical strings mean "in sync" (comments and formatting removed). */
  canonical: string;
  /** 1-based source line of each semantic path, where the parser knows it. */
  lines: Map<string, number>;
  /** The file of a path when it is not the main file (nginx includes). */
  files?: Map<string, string>;
  /** Include patterns that were followed (see Provider.parseAll). */
  included?: string[];
  /** How to say a path in the load balancer's own words (`backends` -> `backend`, `algorithm` -> `balance`). */
  vocabulary?: Vocabulary;
}

export interface Vocabulary {
  /** Top-level collection -> the word for one of its items. */
  collections: Record<string, string>;
  /** The keyword that sets the balancing algorithm. */
  algorithm?: string;
}

export function isObject(v: TreeValue | undefined): v is TreeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys that identify an item of a list, tried in order, so `servers[2]` becomes `servers.api-3`. */
const IDENTITY_KEYS = ['name', 'id'] as const;

/**
 * The identity key shared by every item of a list (all objects, all with a unique
 * string value for the key), or undefined when the list must be compared by position.
 */
export function identityKey(items: readonly TreeValue[]): string | undefined {
  if (items.length === 0) return undefined;
  for (const key of IDENTITY_KEYS) {
    const seen = new Set<string>();
    let ok = true;
    for (const item of items) {
      const id = isObject(item) ? item[key] : undefined;
      if ((typeof id !== 'string' && typeof id !== 'number') || seen.has(String(id))) {
        ok = false;
        break;
      }
      seen.add(String(id));
    }
    if (ok) return key;
  }
  return undefined;
}

/**
 * Deterministic JSON with sorted keys: the basis of content hashes. Whole configs go through
 * here (tens of thousands of objects), so it appends to one string instead of building an
 * array per object; the output is that of `JSON.stringify` with every object's keys sorted
 * (keys with undefined values left out, holes in arrays written as nothing).
 */
export function canonicalJson(value: unknown): string {
  return appendCanonical('', value);
}

function appendCanonical(out: string, value: unknown): string {
  if (value === null || typeof value !== 'object') return out + (JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) {
    out += '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      if (item !== undefined || i in value) out = appendCanonical(out, item);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = sortedKeys(obj);
  out += '{';
  let first = true;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined) continue;
    out += first ? quoteKey(key) : `,${quoteKey(key)}`;
    first = false;
    out = appendCanonical(out, item);
  }
  return `${out}}`;
}

/** Object.keys in code-unit order (what `sort()` gives), without sorting keys that already are. */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort(byCodeUnits);
  }
  return keys;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The same few dozen keys (`address`, `weight`, ...) recur in every config: quote each once. */
const quotedKeys = new Map<string, string>();

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    // Keys also come from config (server and pool names): bounded, like the glob cache.
    if (quotedKeys.size >= 10_000) quotedKeys.clear();
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Paths are dotted segments; a segment that itself holds a dot or a quote (an address such as
 * `10.0.0.3:8080`, a host name) is written as a JSON string: `upstreams.app.servers."10.0.0.3:8080"`.
 */
export function joinPath(base: string, segment: string): string {
  const seg = /[."\[\]]/.test(segment) || segment === '' ? JSON.stringify(segment) : segment;
  return base === '' ? seg : `${base}.${seg}`;
}

/** The segments of a path, quoted ones unquoted; a list position `[3]` stays on its segment. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '"') {
      let j = i + 1;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      let seg: string;
      try {
        seg = JSON.parse(path.slice(i, j + 1)) as string;
      } catch {
        seg = path.slice(i + 1, j);
      }
      let end = j + 1;
      while (end < path.length && path[end] !== '.') end++;
      out.push(seg + path.slice(j + 1, end));
      i = end + 1;
    } else {
      const end = path.indexOf('.', i);
      out.push(path.slice(i, end < 0 ? path.length : end));
      i = end < 0 ? path.length : end + 1;
    }
  }
  return out;
}
