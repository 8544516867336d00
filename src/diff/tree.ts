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

/**
 * Gives a tree its canonical and normalised forms as properties made when first read: a big
 * config's tree that is only compared (its hash is that of the raw text; the diff shows the full
 * texts) never needs them, and they cost more than the comparison.
 */
export function withLazyForms<T extends Omit<ConfigTree, 'canonical' | 'normalized'>>(tree: T, normalized: () => string): T & Pick<ConfigTree, 'canonical' | 'normalized'> {
  let canonical: string | undefined;
  let text: string | undefined;
  return Object.defineProperties(tree, {
    canonical: { enumerable: true, get: () => (canonical ??= canonicalJson(tree.root)) },
    normalized: { enumerable: true, get: () => (text ??= normalized()) },
  }) as T & Pick<ConfigTree, 'canonical' | 'normalized'>;
}

export interface Vocabulary {
  /** Top-level collection -> the word for one of its items. */
  collections: Record<string, string>;
  /** The keyword that sets the balancing algorithm. */
  algorithm?: string;
}

/**
 * An empty object for members keyed by data that seldom repeats between objects (nginx servers
 * by address, collections of thousands of pools). V8 gives each new set of keys of a plain object
 * a hidden class of its own, so 20,000 servers with addresses of their own made 20,000 hidden
 * classes per parse. An object in dictionary mode makes none; it is a plain object in every other
 * way (prototype, JSON, key order). Deleting two keys is how V8 is asked for one. Not for keys
 * that recur (HAProxy servers `s1`, `s2` in every backend): objects sharing a hidden class are
 * read faster.
 */
export function keyedObject(): TreeObject {
  const out: TreeObject = {};
  out['\u0000a'] = null;
  out['\u0000b'] = null;
  delete out['\u0000a'];
  delete out['\u0000b'];
  return out;
}

export function isObject(v: TreeValue | undefined): v is TreeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys that identify an item of a list, tried in order, so `servers[2]` becomes `servers.api-3`. */
const IDENTITY_KEYS = ['name', 'id'] as const;

/**
 * The identity key shared by every item of a list (all objects, all with a unique
 * string value for the key), or undefined when the list must be compared by position.
 * `valueOf` reads an item's value for a key (the redacted one, when comparing redacted lists).
 */
export function identityKey(items: readonly TreeValue[], valueOf: (item: TreeObject, key: string) => TreeValue | undefined = (item, key) => item[key]): string | undefined {
  if (items.length === 0) return undefined;
  for (const key of IDENTITY_KEYS) {
    const seen = new Set<string>();
    let ok = true;
    for (const item of items) {
      const id = isObject(item) ? valueOf(item, key) : undefined;
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

/**
 * Canonical JSON of subtrees that trees share (see `shareable`), made once and then reused by
 * every tree holding them: a config's hash then costs little more than joining its sections.
 * null: shared, not serialized yet.
 */
const sharedCanonical = new WeakMap<object, SharedJson>();

/** A shared subtree's JSON (null until first needed), and its member string under the key it last sat under. */
interface SharedJson {
  json: string | null;
  member?: { key: string; json: string };
}

/**
 * Deep-freezes a subtree so that several trees (and later parses) can hold the same object
 * safely, and lets canonicalJson remember its JSON. Only for values nobody changes afterwards.
 */
export function shareable<T extends TreeValue>(value: T): T {
  deepFreeze(value);
  if (value !== null && typeof value === 'object') sharedCanonical.set(value, { json: null });
  return value;
}

/** Whether canonicalJson keeps (or will keep) this subtree's JSON: a shared section, written once for every tree. */
export function hasSharedJson(value: unknown): boolean {
  return value !== null && typeof value === 'object' && sharedCanonical.has(value);
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

function appendCanonical(out: string, value: unknown): string {
  if (value === null || typeof value !== 'object') return out + (JSON.stringify(value) ?? 'null');
  const shared = sharedCanonical.get(value);
  if (shared !== undefined) return out + sharedJson(value, shared);
  return appendStructure(out, value);
}

function sharedJson(value: object, shared: SharedJson): string {
  shared.json ??= flatten(appendStructure('', value));
  return shared.json;
}

/**
 * V8 builds `a + b` as a rope and copies it into one flat string when it is read (hashed,
 * written). A remembered string is read again by every tree that holds it: flatten it once
 * (converting to a number flattens the string in place; the number itself is unused).
 */
function flatten(text: string): string {
  Number(text);
  return text;
}

/** canonicalJson of an object without some of its keys (the JSON of `{ [omitted]: _, ...rest }`'s rest). */
export function canonicalJsonWithout(value: Record<string, unknown>, omit: ReadonlySet<string>): string {
  const all = sortedKeys(value);
  const keys = all.some((k) => omit.has(k)) ? all.filter((k) => !omit.has(k)) : all;
  // A change of one scalar (most of a big drift) is all scalars.
  const scalars = scalarsJson(value, keys);
  if (scalars !== undefined) return scalars;
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = value[key];
    if (item === undefined) continue;
    out += first ? quoteKey(key) : `,${quoteKey(key)}`;
    first = false;
    out = appendCanonical(out, item);
  }
  return `${out}}`;
}

/**
 * When every member of an object is a string, number, boolean or null (undefined ones left
 * out), V8's own JSON of it, listing `keys` in their order (a replacer array), is its canonical
 * JSON. Undefined otherwise (and for a `__proto__` key, which a plain read would not see as data).
 */
function scalarsJson(obj: Record<string, unknown>, keys: readonly string[]): string | undefined {
  // Boxed strings, dates and the like have JSON of their own: only plain objects.
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined || item === null) continue;
    const type = typeof item;
    if ((type !== 'string' && type !== 'number' && type !== 'boolean') || key === '__proto__') return undefined;
  }
  return JSON.stringify(obj, keys as string[]);
}

/** An object or array, its members through appendCanonical. */
function appendStructure(out: string, value: object): string {
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
  if (keys.length >= MANY_KEYS) return `${out}{${joinMembers(obj, keys)}}`;
  const scalars = scalarsJson(obj, keys);
  if (scalars !== undefined) return out + scalars;
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

/**
 * A collection of thousands of pools: its members joined into one flat string at once, which
 * V8 does far faster than flattening a rope of thousands of pieces when the text is hashed.
 */
const MANY_KEYS = 64;

function joinMembers(obj: Record<string, unknown>, keys: string[]): string {
  const members: string[] = [];
  for (const key of keys) {
    const item = obj[key];
    if (item !== undefined) members.push(member(key, item));
  }
  return members.join(',');
}

/**
 * `"key":<json>`. A shared subtree sits under the same key in every tree that holds it (a
 * section under its name): that member string is kept too.
 */
function member(key: string, item: unknown): string {
  const shared = item !== null && typeof item === 'object' ? sharedCanonical.get(item) : undefined;
  if (shared === undefined) return appendCanonical(quoteKey(key), item);
  if (shared.member?.key !== key) shared.member = { key, json: flatten(quoteKey(key) + sharedJson(item as object, shared)) };
  return shared.member.json;
}

/**
 * Object.keys in code-unit order (what `sort()` gives), without sorting keys that already are.
 * Objects of one shape come in runs (every server, every change): the last order is kept.
 */
let lastKeys: string[] = [];
let lastSorted: string[] = [];

function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return keys;
  if (sameKeys(keys, lastKeys)) return lastSorted;
  lastKeys = keys.slice();
  lastSorted = keys.sort(byCodeUnits);
  return lastSorted;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  // Most paths quote nothing: the segments are what lies between the dots (the loop below
  // gives the same, except for '' and a trailing dot).
  if (!path.includes('"') && path !== '' && !path.endsWith('.')) return path.split('.');
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
