import { createHash } from 'node:crypto';
import type { Change } from '../diff/compare.js';
import { canonicalJson, canonicalJsonWithout, hasSharedJson } from '../diff/tree.js';

/**
 * What names a drift (fingerprint v2): each change's path, kind, values, scope and file, in the
 * order the trees are walked. Not its severity or summary: a new severity rule or better wording
 * is not a new drift. Not its line: the same change elsewhere in the file is the same drift.
 * In code-unit order, as canonicalJson writes them.
 */
const FINGERPRINT_KEYS = ['approved', 'file', 'kind', 'live', 'path', 'scope'] as const;
/** The fingerprint scheme fingerprintOf writes (stored with a target's state: see adoptFingerprint). */
export const FINGERPRINT_VERSION = 2;
/** What the fingerprint covered before v2 (and in severity order). */
const LEGACY_KEYS = [...FINGERPRINT_KEYS, 'severity', 'summary'] as const;
const CHANGE_KEYS: ReadonlySet<string> = new Set([...LEGACY_KEYS, 'line']);

/**
 * The first 16 hex digits of sha256(canonicalJson({ changes, content })), each change with only
 * its FINGERPRINT_KEYS. `content`: the hashes of both sides, for formats without semantics.
 */
export function fingerprintOf(changes: readonly Change[], content: string[] | null): string {
  return digest(fingerprintJson(changes, content, FINGERPRINT_KEYS));
}

/** The same with LEGACY_KEYS: what driftwarden wrote before fingerprint v2 (every change needs its summary). */
export function legacyFingerprintOf(changes: readonly Change[], content: string[] | null): string {
  return digest(fingerprintJson(changes, content, LEGACY_KEYS));
}

function digest(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/**
 * canonicalJson({ changes: each change with only `kept` keys, content }), written fast: runs of
 * changes whose values are plain data are written by V8 at once. With a replacer array holding
 * every key they use, sorted (the change keys not kept left out), JSON.stringify writes each
 * object's members in that order, which is their canonical JSON; several times faster than a
 * string per change, and it copies nothing. Anything else is written the general way, between runs.
 */
function fingerprintJson(changes: readonly Change[], content: string[] | null, kept: readonly string[]): string {
  const left: ReadonlySet<string> = new Set([...CHANGE_KEYS].filter((k) => !kept.includes(k)));
  const parts: string[] = [];
  let run: Change[] = [];
  let keys = new Set<string>(kept);
  const endRun = (): void => {
    if (run.length > 0) parts.push(JSON.stringify(run, [...keys].sort(byCodeUnits)).slice(1, -1));
    run = [];
    keys = new Set(kept);
  };
  // JSON.stringify tries every key of the replacer array on every object: a run's keys are
  // bounded, or a drift of thousands of servers keyed by address would cost keys x objects.
  const own = new Set<string>();
  for (const c of changes) {
    own.clear();
    if (!plainChange(c, own, left) || own.size > MAX_RUN_KEYS) {
      endRun();
      parts.push(canonicalJsonWithout(c as unknown as Record<string, unknown>, left));
      continue;
    }
    let fresh = 0;
    for (const k of own) if (!keys.has(k)) fresh++;
    if (keys.size + fresh > kept.length + MAX_RUN_KEYS) endRun();
    for (const k of own) keys.add(k);
    run.push(c);
  }
  endRun();
  return `{"changes":[${parts.join(',')}],"content":${canonicalJson(content)}}`;
}

/** Most keys of nested objects in one run (a server has a dozen at most). */
const MAX_RUN_KEYS = 64;
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Only change keys, each kept value plain data (plainValue); the keys of its nested objects are
 * added to `keys`. `left`: the change keys not kept, which a nested object must not hold (the
 * replacer array would then write the change's own).
 */
function plainChange(change: Change, keys: Set<string>, left: ReadonlySet<string>): boolean {
  const c = change as unknown as Record<string, unknown>;
  if (Object.getPrototypeOf(c) !== Object.prototype) return false;
  for (const key in c) {
    if (!CHANGE_KEYS.has(key)) return false;
    if (left.has(key)) continue;
    const value = c[key];
    // A shared section (a whole pool added or removed) has its JSON kept already: canonicalJson reuses it.
    if (value !== undefined && (hasSharedJson(value) || !plainValue(value, keys, left))) return false;
  }
  return true;
}

/**
 * Strings, numbers, booleans, null, and arrays and plain objects of them, where JSON.stringify
 * writes what canonicalJson writes once the keys are in order: no key the fingerprint leaves out
 * below the change, no undefined in an array, no `__proto__` or toJSON.
 */
function plainValue(value: unknown, keys: Set<string>, left: ReadonlySet<string>): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined || !plainValue(item, keys, left)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    if (left.has(key) || key === '__proto__' || key === 'toJSON') return false;
    const item = obj[key];
    if (item !== undefined && !plainValue(item, keys, left)) return false;
    keys.add(key);
  }
  return true;
}
