import { createHash } from 'node:crypto';
import { compareTrees, type Change } from '../diff/compare.js';
import type { Redactor } from '../diff/redact.js';
import { describeChange } from '../diff/describe.js';
import { normalizeText } from '../diff/normalize.js';
import { matchesAnyOrAncestor } from '../diff/glob.js';
import { emptyPoolFindings, type Finding } from '../diff/pools.js';
import { maxSeverity, SEVERITIES, severityOf, severityRank, type Severity, type SeverityRule } from '../diff/severity.js';
import { canonicalJson, canonicalJsonWithout, hasSharedJson, type ConfigTree } from '../diff/tree.js';

/** The result of comparing one approved and one live config: everything below is redacted. */
export interface Comparison {
  inSync: boolean;
  approvedHash: string;
  liveHash: string;
  /** Identifies this particular drift; null when in sync. */
  fingerprint: string | null;
  /** Most severe first. */
  changes: Change[];
  severity: Severity | null;
  /** Normalised, redacted texts for the unified diff. */
  approvedText: string;
  liveText: string;
}

export interface CompareInput {
  rules: readonly SeverityRule[];
  ignore: readonly string[];
  redactor: Redactor;
  /** Differences the provider found between the running program and its config (process/runtime scope). */
  findings?: readonly Finding[];
  /**
   * The hashes of the texts as read (what `sha256sum` of the files says): the Comparison's
   * hashes. Without them, the hashes of the canonical forms.
   */
  hashes?: { approved: string; live: string };
  /**
   * The full source texts, when the trees are of narrowed texts (see diff/narrow.ts): the
   * unified diff shows these, normalized and redacted, not the narrowed ones.
   */
  texts?: { approved: string; live: string };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Pure: compares both sides semantically, redacted, and fingerprints the drift. The redacted
 * texts are made when first read: they are for the unified diff (diff, revert, drift PRs), and
 * a config of 30,000 lines costs more to redact than to compare.
 */
export function compareConfigs(approved: ConfigTree, live: ConfigTree, input: CompareInput): Comparison {
  const { redactor } = input;
  const vocabulary = live.vocabulary ?? approved.vocabulary;
  const extra = [...emptyPoolFindings(approved.root, live.root, 'config', vocabulary), ...(input.findings ?? [])]
    .filter((f) => !matchesAnyOrAncestor(input.ignore, f.path))
    .map((f): Change => ({ ...f, severity: f.severity ?? severityOf(f.path, f.kind, input.rules) }));
  const describe = (c: Change, segments?: readonly string[]): string => describeChange(c, vocabulary, segments);
  const changes = bySeverity([...compareTrees(approved, live, { rules: input.rules, ignore: input.ignore, redactor, describe }), ...extra.map((c) => ({ ...c, summary: describe(c) }))]);
  const inSync = changes.length === 0;
  const semantic = approved.root !== null && live.root !== null;
  const canonicalHashes = (): string[] => [sha256(approved.canonical), sha256(live.canonical)];
  // Without semantics the change list says nothing about content: fingerprint the content.
  const fingerprint = inSync ? null : sha256(fingerprintJson(changes, semantic ? null : canonicalHashes())).slice(0, 16);
  const [approvedHash, liveHash] = input.hashes ? [input.hashes.approved, input.hashes.live] : canonicalHashes();
  // Capture the texts, not the trees: a comparison outlives the trees it came from. With the
  // full texts given, the trees' normalised forms (made when first read) are never needed.
  const { texts } = input;
  const approvedSource = texts ? texts.approved : approved.normalized;
  const liveSource = texts ? texts.live : live.normalized;
  const approvedText = lazy(() => redactor.text(texts ? normalizeText(approvedSource) : approvedSource));
  const liveText = lazy(() => redactor.text(texts ? normalizeText(liveSource) : liveSource));
  return {
    inSync,
    approvedHash: approvedHash as string,
    liveHash: liveHash as string,
    fingerprint,
    changes,
    severity: maxSeverity(changes) ?? null,
    get approvedText() {
      return approvedText();
    },
    get liveText() {
      return liveText();
    },
  };
}

/**
 * canonicalJson({ changes: changes without their `line`, content }), written directly: a drift
 * of 20,000 changes need not copy each change to drop one key.
 */
function fingerprintJson(changes: Change[], content: string[] | null): string {
  // Runs of changes whose values are plain data are written by V8 at once: with a replacer array
  // holding every key they use, sorted (and not `line`), JSON.stringify writes each object's
  // members in that order, which is their canonical JSON; about five times faster than a string
  // per change. Anything else is written the general way, between runs.
  const parts: string[] = [];
  let run: Change[] = [];
  let keys = new Set<string>(FINGERPRINT_KEYS);
  const endRun = (): void => {
    if (run.length > 0) parts.push(JSON.stringify(run, [...keys].sort(byCodeUnits)).slice(1, -1));
    run = [];
    keys = new Set(FINGERPRINT_KEYS);
  };
  // JSON.stringify tries every key of the replacer array on every object: a run's keys are
  // bounded, or a drift of thousands of servers keyed by address would cost keys x objects.
  const own = new Set<string>();
  for (const c of changes) {
    own.clear();
    if (!plainChange(c, own) || own.size > MAX_RUN_KEYS) {
      endRun();
      parts.push(canonicalJsonWithout(c as unknown as Record<string, unknown>, 'line'));
      continue;
    }
    let fresh = 0;
    for (const k of own) if (!keys.has(k)) fresh++;
    if (keys.size + fresh > FINGERPRINT_KEYS.length + MAX_RUN_KEYS) endRun();
    for (const k of own) keys.add(k);
    run.push(c);
  }
  endRun();
  return `{"changes":[${parts.join(',')}],"content":${canonicalJson(content)}}`;
}

/** A change's keys in code-unit order, `line` left out: the members of its fingerprint JSON. */
const FINGERPRINT_KEYS = ['approved', 'file', 'kind', 'live', 'path', 'scope', 'severity', 'summary'] as const;
const CHANGE_KEYS: ReadonlySet<string> = new Set([...FINGERPRINT_KEYS, 'line']);
/** Most keys of nested objects in one run (a server has a dozen at most). */
const MAX_RUN_KEYS = 64;
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Only the keys above, each value plain data (plainValue); the keys of its nested objects are added to `keys`. */
function plainChange(change: Change, keys: Set<string>): boolean {
  const c = change as unknown as Record<string, unknown>;
  if (Object.getPrototypeOf(c) !== Object.prototype) return false;
  for (const key in c) {
    if (!CHANGE_KEYS.has(key)) return false;
    const value = c[key];
    // A shared section (a whole pool added or removed) has its JSON kept already: canonicalJson reuses it.
    if (value !== undefined && (hasSharedJson(value) || !plainValue(value, keys))) return false;
  }
  return true;
}

/**
 * Strings, numbers, booleans, null, and arrays and plain objects of them, where JSON.stringify
 * writes what canonicalJson writes once the keys are in order: no `line` key below the change
 * (the replacer array leaves it out), no undefined in an array, no `__proto__` or toJSON.
 */
function plainValue(value: unknown, keys: Set<string>): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined || !plainValue(item, keys)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    if (key === 'line' || key === '__proto__' || key === 'toJSON') return false;
    const item = obj[key];
    if (item !== undefined && !plainValue(item, keys)) return false;
    keys.add(key);
  }
  return true;
}

/**
 * Most severe first, in their order within a severity: what a stable sort by rank gives, in
 * one pass (an unknown severity, rank -1, sorts first, as it would).
 */
function bySeverity(changes: Change[]): Change[] {
  const buckets: Change[][] = [[], ...SEVERITIES.map(() => [])];
  for (const c of changes) (buckets[severityRank(c.severity) + 1] as Change[]).push(c);
  return ([] as Change[]).concat(...buckets);
}

/** A value computed on first use, then kept. */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
