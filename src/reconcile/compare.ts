import { createHash } from 'node:crypto';
import { compareTrees, type Change } from '../diff/compare.js';
import type { Redactor } from '../diff/redact.js';
import { describeChange } from '../diff/describe.js';
import { matchesAnyOrAncestor } from '../diff/glob.js';
import { emptyPoolFindings, type Finding } from '../diff/pools.js';
import { maxSeverity, SEVERITIES, severityOf, type Severity, type SeverityRule } from '../diff/severity.js';
import { canonicalJson, type ConfigTree } from '../diff/tree.js';

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
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Pure: redacts both sides, compares them semantically, and fingerprints the drift. */
export function compareConfigs(approved: ConfigTree, live: ConfigTree, input: CompareInput): Comparison {
  const { redactor } = input;
  const redacted = (t: ConfigTree): ConfigTree => ({ ...t, root: t.root === null ? null : redactor.tree(t.root) });
  const vocabulary = live.vocabulary ?? approved.vocabulary;
  const extra = [...emptyPoolFindings(approved.root, live.root, 'config', vocabulary), ...(input.findings ?? [])]
    .filter((f) => !matchesAnyOrAncestor(input.ignore, f.path))
    .map((f): Change => ({ ...f, severity: f.severity ?? severityOf(f.path, f.kind, input.rules) }));
  const changes = [...compareTrees(redacted(approved), redacted(live), { rules: input.rules, ignore: input.ignore }), ...extra].map(
    (c) => ({ ...c, summary: describeChange(c, vocabulary) }),
  );
  changes.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  const approvedHash = sha256(approved.canonical);
  const liveHash = sha256(live.canonical);
  const inSync = changes.length === 0;
  const semantic = approved.root !== null && live.root !== null;
  const fingerprint = inSync
    ? null
    : sha256(
        canonicalJson({
          changes: changes.map(({ line: _line, ...c }) => c),
          // Without semantics the change list says nothing about content: fingerprint the content.
          content: semantic ? null : [approvedHash, liveHash],
        }),
      ).slice(0, 16);
  return {
    inSync,
    approvedHash,
    liveHash,
    fingerprint,
    changes,
    severity: maxSeverity(changes) ?? null,
    approvedText: redactor.text(approved.normalized),
    liveText: redactor.text(live.normalized),
  };
}
