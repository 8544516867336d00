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

/** Deterministic JSON with sorted keys: the basis of content hashes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function joinPath(base: string, segment: string): string {
  return base === '' ? segment : `${base}.${segment}`;
}
