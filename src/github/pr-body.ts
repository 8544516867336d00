import { createHash } from 'node:crypto';
import { describeChange } from '../diff/describe.js';
import type { Change } from '../diff/compare.js';
import type { Provenance } from '../git/provenance.js';
import type { LiveVerdict } from '../gate/live-verdict.js';

export interface PrBodyInput {
  target: string;
  desired: string;
  liveOrigin: string;
  fingerprint: string;
  severity: string;
  changes: Change[];
  provenance: Provenance | null;
  firstSeen: string | null;
  commit: string;
  branch: string;
  /** Redacted unified diff, approved -> live, or null when too large. */
  diff: string | null;
  onReject: 'revert' | 'alert';
  /** The gate's verdict on the live content (policy and native validation). */
  verdict?: LiveVerdict;
}

const META = /<!-- driftwarden (\{.*\}) -->/;
const MAX_DIFF_LINES_OPEN = 60;
const MAX_BODY = 60_000;

export interface PrMeta {
  v: 1;
  target: string;
  fingerprint: string;
  bodyHash: string;
}

export function branchFor(target: string): string {
  return `driftwarden/${target}`;
}

export function prTitle(input: Pick<PrBodyInput, 'target' | 'changes' | 'severity'>): string {
  const top = input.changes[0];
  const what = top ? describeChange(top) : 'live config differs';
  const title = `driftwarden: ${input.target}: ${what} (${input.severity})`;
  return title.length > 120 ? `${title.slice(0, 119)}…` : title;
}

/** The PR body (changes, provenance, diff, what merging and closing do) with hidden metadata. */
export function prBody(input: PrBodyInput): { body: string; bodyHash: string } {
  const rows = input.changes.slice(0, 50).map((c) => `| ${c.severity} | ${escapeCell(describeChange(c))} | \`${escapeCell(c.path)}\` |`);
  const more = input.changes.length > 50 ? [`\n… and ${input.changes.length - 50} more changes.`] : [];
  const provenance = input.provenance
    ? input.provenance.kind === 'unknown-origin'
      ? 'unknown-origin: the live content matches no version in Git (a hand edit?)'
      : input.provenance.kind === 'stale'
        ? `stale: equals the approved file at ${input.provenance.commit.slice(0, 12)} ("${input.provenance.subject}")`
        : `unapproved: equals the file on unmerged branch \`${input.provenance.branch}\` at ${input.provenance.commit.slice(0, 12)} ("${input.provenance.subject}")`
    : 'not known';
  const diffLines = input.diff?.split('\n') ?? [];
  const diffBlock = input.diff === null
    ? '_The diff is too large to show._'
    : diffLines.length > MAX_DIFF_LINES_OPEN
      ? `<details><summary>Unified diff (${diffLines.length} lines)</summary>\n\n\`\`\`diff\n${input.diff}\n\`\`\`\n\n</details>`
      : `\`\`\`diff\n${input.diff}\n\`\`\``;
  const text = [
    `driftwarden found that the live configuration of **${input.target}** (\`${input.liveOrigin}\`) differs from the approved \`${input.desired}\` at ${input.commit.slice(0, 12)}. This pull request proposes the live version.`,
    '',
    '| severity | change | path |',
    '| --- | --- | --- |',
    ...rows,
    ...more,
    '',
    `- **Severity:** ${input.severity}`,
    `- **Provenance:** ${provenance}`,
    `- **First seen:** ${input.firstSeen ?? 'now'}`,
    `- **Compared with:** ${input.commit}`,
    ...verdictLines(input.verdict, input.desired),
    '',
    diffBlock,
    '',
    `**Merge** to approve the drift: the approved branch will then equal what runs, and driftwarden records \`drift.approved\`.`,
    `**Close without merging** to reject it: driftwarden records \`pr.rejected\` and then ${input.onReject === 'revert' ? 'reverts the load balancer to the approved version (with every revert guard rail)' : 'keeps alerting'}.`,
    `Driftwarden updates this pull request (branch \`${input.branch}\`) when the drift changes, and closes it if the live config returns to the approved version.`,
  ].join('\n');
  const clipped = text.length > MAX_BODY ? `${text.slice(0, MAX_BODY)}\n\n_(cut at ${MAX_BODY} characters)_` : text;
  const bodyHash = createHash('sha256').update(clipped).digest('hex').slice(0, 16);
  const meta: PrMeta = { v: 1, target: input.target, fingerprint: input.fingerprint, bodyHash };
  return { body: `${clipped}\n\n<!-- driftwarden ${JSON.stringify(meta)} -->`, bodyHash };
}

/** What merging would approve, in the gate's words: native validation and policy of the live content. */
function verdictLines(verdict: LiveVerdict | undefined, desired: string): string[] {
  if (!verdict) return [];
  const out = ['', '**Gate verdict on the live content** (what merging approves):'];
  const v = verdict.validation;
  if (v === null) out.push('- Validation: no native checker for this provider');
  else if ('error' in v) out.push(`- Validation: could not run (${escapeCell(v.error)})`);
  else if (v.ok) out.push(`- Validation: ✅ ok (\`${v.command}\`)`);
  else {
    out.push(`- Validation: ⛔ **failed** (\`${v.command}\`)`);
    for (const m of v.messages.slice(0, 10)) out.push(`  - ${m.line !== undefined ? `\`${desired}:${m.line}\` ` : ''}${escapeCell(m.message)}`);
  }
  const p = verdict.policy;
  if (p === null) out.push('- Policy: not checked (the live config does not parse)');
  else if (p.rules.length === 0) out.push('- Policy: no rule applies to this target');
  else if (p.violations.length === 0) out.push(`- Policy: ✅ ${p.rules.length} rule(s), no violation`);
  else {
    out.push(`- Policy: ⛔ **${p.violations.length} violation(s)** of ${p.rules.length} rule(s); merging would approve them:`);
    for (const x of p.violations.slice(0, 20)) out.push(`  - ${x.line !== undefined ? `\`${desired}:${x.line}\` ` : ''}${escapeCell(x.rule)}: ${escapeCell(x.message)}`);
  }
  return out;
}

export function parseMeta(body: string | null | undefined): PrMeta | undefined {
  const m = META.exec(body ?? '');
  if (!m) return undefined;
  try {
    return JSON.parse(m[1] as string) as PrMeta;
  } catch {
    return undefined;
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
