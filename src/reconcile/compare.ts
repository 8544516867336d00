import { createHash } from 'node:crypto';
import { compareTrees, type Change } from '../diff/compare.js';
import type { Redactor } from '../diff/redact.js';
import { describeChange } from '../diff/describe.js';
import { normalizeText } from '../diff/normalize.js';
import { matchesAnyOrAncestor } from '../diff/glob.js';
import { emptyPoolFindings, type Finding } from '../diff/pools.js';
import { maxSeverity, SEVERITIES, severityOf, severityRank, type Severity, type SeverityRule } from '../diff/severity.js';
import { canonicalJson, canonicalJsonWithout, type ConfigTree } from '../diff/tree.js';

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
  const describe = (c: Change): string => describeChange(c, vocabulary);
  const changes = bySeverity([...compareTrees(approved, live, { rules: input.rules, ignore: input.ignore, redactor, describe }), ...extra.map((c) => ({ ...c, summary: describe(c) }))]);
  const inSync = changes.length === 0;
  const semantic = approved.root !== null && live.root !== null;
  const canonicalHashes = (): string[] => [sha256(approved.canonical), sha256(live.canonical)];
  // Without semantics the change list says nothing about content: fingerprint the content.
  const fingerprint = inSync ? null : sha256(fingerprintJson(changes, semantic ? null : canonicalHashes())).slice(0, 16);
  const [approvedHash, liveHash] = input.hashes ? [input.hashes.approved, input.hashes.live] : canonicalHashes();
  // Capture the texts, not the trees: a comparison outlives the trees it came from.
  const { normalized: approvedNormalized } = approved;
  const { normalized: liveNormalized } = live;
  const { texts } = input;
  const approvedText = lazy(() => redactor.text(texts ? normalizeText(texts.approved) : approvedNormalized));
  const liveText = lazy(() => redactor.text(texts ? normalizeText(texts.live) : liveNormalized));
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
  const items = changes.map((c) => canonicalJsonWithout(c as unknown as Record<string, unknown>, 'line'));
  return `{"changes":[${items.join(',')}],"content":${canonicalJson(content)}}`;
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
