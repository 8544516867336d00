import { createHash } from 'node:crypto';
import { addDetail, findChanges, type Change } from '../diff/compare.js';
import type { Redactor } from '../diff/redact.js';
import { describeChange } from '../diff/describe.js';
import { normalizeText } from '../diff/normalize.js';
import { matchesAnyOrAncestor } from '../diff/glob.js';
import { emptyPoolFindings, type Finding } from '../diff/pools.js';
import { maxSeverity, SEVERITIES, severityOf, severityRank, type Severity, type SeverityRule } from '../diff/severity.js';
import type { ConfigTree } from '../diff/tree.js';
import { fingerprintOf, legacyFingerprintOf } from './fingerprint.js';

/** The result of comparing one approved and one live config: everything below is redacted. */
export interface Comparison {
  inSync: boolean;
  approvedHash: string;
  liveHash: string;
  /** Identifies this particular drift (see fingerprint.ts); null when in sync. */
  fingerprint: string | null;
  /**
   * Every change, most severe first. The first DETAILED of them have their `line` and `summary`;
   * the rest (a drift of thousands of servers) have neither: no one reads that far, and the
   * sentence and line of 20,000 changes cost more than finding them.
   */
  changes: Change[];
  severity: Severity | null;
  /** Normalised, redacted texts for the unified diff. */
  approvedText: string;
  liveText: string;
  /**
   * The fingerprint as driftwarden 0.x before fingerprint v2 wrote it (it also covered each
   * change's severity and summary); made when asked: only a state or drift PR recorded before
   * the upgrade needs it (see adoptFingerprint). Null when in sync.
   */
  legacyFingerprint?: () => string | null;
}

/** How many changes (the most severe) get their line and summary. */
export const DETAILED = 1000;

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
 * sha256 of a config's text as read. A drift that stays brings the same big texts pass after
 * pass: the hashes of the last few texts of BIG_TEXT characters or more are kept (compared by
 * content: a length first, then the memory at once, which costs a fraction of hashing).
 */
export function textHash(text: string): string {
  if (text.length < BIG_TEXT) return sha256(text);
  const hit = recentHashes.find((e) => e.text.length === text.length && e.text === text);
  if (hit) return hit.hash;
  const hash = sha256(text);
  recentHashes.push({ text, hash });
  recentChars += text.length;
  while (recentHashes.length > 8 || recentChars > RECENT_CHARS) recentChars -= (recentHashes.shift() as { text: string }).text.length;
  return hash;
}

/** Forgets the kept hashes (a benchmark's first check: as after a start). */
export function forgetTextHashes(): void {
  recentHashes.length = 0;
  recentChars = 0;
}

const BIG_TEXT = 64 * 1024;
/** What the kept texts may hold at most (characters). */
const RECENT_CHARS = 16_000_000;
const recentHashes: { text: string; hash: string }[] = [];
let recentChars = 0;

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
  const describe = (c: Change): string => describeChange(c, vocabulary);
  const found = findChanges(approved, live, { rules: input.rules, ignore: input.ignore, redactor });
  const changes = detailed(found, extra, approved, live, describe);
  const inSync = changes.length === 0;
  const semantic = approved.root !== null && live.root !== null;
  const canonicalHashes = (): string[] => [sha256(approved.canonical), sha256(live.canonical)];
  // Without semantics the change list says nothing about content: fingerprint the content.
  const content = inSync || semantic ? null : canonicalHashes();
  // In the order found (not by severity, which the rules decide), as each change is in any order.
  const fingerprint = inSync ? null : fingerprintOf([...found, ...extra], content);
  const legacyFingerprint = lazy(() => (inSync ? null : legacyFingerprintOf(changes.map((c) => (c.summary ? c : { ...c, summary: describe(c) })), content)));
  const [approvedHash, liveHash] = input.hashes ? [input.hashes.approved, input.hashes.live] : canonicalHashes();
  // Capture the texts, not the trees: a comparison outlives the trees it came from. With the
  // full texts given, the trees' normalised forms (made when first read) are never needed.
  const { texts } = input;
  const approvedSource = texts ? texts.approved : approved.normalized;
  const liveSource = texts ? texts.live : live.normalized;
  const approvedText = lazy(() => redactor.text(texts ? normalizeText(approvedSource) : approvedSource));
  const liveText = lazy(() => redactor.text(texts ? normalizeText(liveSource) : liveSource));
  const comparison: Comparison = {
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
  // Not enumerable: two comparisons of the same pair are equal (a function never is).
  return Object.defineProperty(comparison, 'legacyFingerprint', { value: legacyFingerprint, enumerable: false });
}

/**
 * The found changes and the extra findings, most severe first (in their order within a
 * severity: what a stable sort by rank gives), the first DETAILED of them with line and summary.
 */
function detailed(found: Change[], extra: Change[], approved: ConfigTree, live: ConfigTree, describe: (c: Change) => string): Change[] {
  const buckets: Change[][] = [[], ...SEVERITIES.map(() => [])];
  for (const c of found) (buckets[severityRank(c.severity) + 1] as Change[]).push(c);
  // Findings (copies made by compareConfigs) keep the line they came with.
  const findings = new Set<Change>(extra);
  for (const c of extra) (buckets[severityRank(c.severity) + 1] as Change[]).push(c);
  const out = ([] as Change[]).concat(...buckets);
  for (let i = 0; i < out.length && i < DETAILED; i++) {
    const c = out[i] as Change;
    if (findings.has(c)) c.summary = describe(c);
    else addDetail(c, approved, live, describe);
  }
  return out;
}

/** A value computed on first use, then kept. */
function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
