import { describeChange } from '../diff/describe.js';
import type { GateReport, TargetGate } from './gate.js';
import { pct, type PoolVerdict } from './traffic/expect.js';

const VERDICT_WORD = { pass: 'pass', blocked: 'BLOCKED', error: 'ERROR' } as const;
/** Changes listed per target; the rest are counted. */
const SHOWN_CHANGES = 20;

/** The gate's report for a terminal, a line at a time. */
export function gateLines(report: GateReport): string[] {
  const out: string[] = [`gate: ${report.base.ref} (${report.base.commit.slice(0, 12)}) -> ${report.head.ref} (${report.head.commit.slice(0, 12)}), ${report.changedFiles.length} file(s) changed, ${report.targets.length} target(s) to check`];
  for (const t of report.targets) {
    out.push('', `${t.target} (${t.provider}, ${t.desired}, ${t.change}): ${VERDICT_WORD[t.verdict]}`);
    if (t.error) out.push(`  error: ${t.error}`);
    if (t.validation) out.push(`  validation: ${!t.validation.ran ? 'no native checker for this provider' : t.validation.ok ? `ok (${t.validation.command ?? 'native checker'})` : `failed (${t.validation.command ?? 'native checker'})`}`);
    if (t.policy) out.push(`  policy: ${t.policy.rules.length} rule(s), ${t.policy.violations.length} violation(s)`);
    for (const p of t.problems) out.push(`    ${p.file}${p.line !== undefined ? `:${p.line}` : ''}: [${p.kind}] ${p.message}`);
    if (t.traffic) {
      const fronts = t.traffic.frontends.map((f) => `${f.name} ${f.proxied}/${f.requests} proxied`).join(', ');
      out.push(`  traffic: ${t.traffic.ok ? 'ok' : 'skewed'}, ${t.traffic.requestsPerFrontend} requests per frontend (${fronts}), ${(t.traffic.ms / 1000).toFixed(1)} s`);
      for (const pool of t.traffic.pools) out.push(...poolTable(pool).map((l) => `    ${l}`));
      for (const n of t.traffic.notes) out.push(`    note: ${n}`);
    }
    if (t.trafficSkipped) out.push(`  traffic: ${t.trafficSkipped}`);
    if (t.diff) {
      out.push(`  diff: ${t.diff.changes.length} change(s)${t.diff.severity ? `, most severe ${t.diff.severity}` : ''}`);
      for (const c of t.diff.changes.slice(0, SHOWN_CHANGES)) out.push(`    ${c.severity.padEnd(8)} ${describeChange(c)}${c.line ? ` (line ${c.line})` : ''}`);
      if (t.diff.changes.length > SHOWN_CHANGES) out.push(`    ... and ${t.diff.changes.length - SHOWN_CHANGES} more (--json lists them all)`);
    }
  }
  if (report.targets.length === 0) out.push('', 'no approved file of any target changed: nothing to gate (--all checks every target)');
  out.push('', `result: ${report.verdict === 'pass' ? 'pass' : report.verdict === 'blocked' ? 'blocked by validation, policy or the traffic test' : 'error: the gate could not check everything'}`);
  return out;
}

/** A pool's measured spread, as table rows (server, weight, promised, measured, requests). */
function poolTable(pool: PoolVerdict): string[] {
  const rows = [['server', 'weight', 'promised', 'measured', 'requests']];
  for (const s of pool.servers) rows.push([s.server, s.weight === null ? '-' : String(s.weight), s.promised === undefined ? '-' : pct(s.promised), pct(s.share), String(s.requests)]);
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const head = `${pool.pool} (${pool.algorithm}; ${pool.requests} requests; busiest ${pool.skew.toFixed(1)}x an even share)`;
  return [head, ...rows.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`)];
}

/** The hidden marker that finds the gate's PR comment again. */
export const GATE_COMMENT_MARKER = '<!-- driftwarden:gate -->';

/** The report as Markdown: the PR comment and the check run's summary. */
export function gateMarkdown(report: GateReport): string {
  const icon = { pass: '✅', blocked: '⛔', error: '⚠️' }[report.verdict];
  const out: string[] = [
    `### ${icon} driftwarden gate: ${report.verdict}`,
    '',
    `\`${report.base.ref}\` (${report.base.commit.slice(0, 12)}) → \`${report.head.ref}\` (${report.head.commit.slice(0, 12)}): ${report.targets.length} target(s) checked.`,
  ];
  if (report.targets.length === 0) out.push('', 'No approved file of any target changed.');
  for (const t of report.targets) out.push('', ...targetMarkdown(t));
  return out.join('\n');
}

function targetMarkdown(t: TargetGate): string[] {
  const out = [`#### \`${t.target}\` (${t.provider}, \`${t.desired}\`, ${t.change}): **${t.verdict}**`];
  if (t.error) out.push('', `Error: ${t.error}`);
  const facts: string[] = [];
  if (t.validation) facts.push(`- Validation: ${!t.validation.ran ? 'no native checker' : t.validation.ok ? `ok (\`${t.validation.command}\`)` : `**failed** (\`${t.validation.command}\`)`}`);
  if (t.policy) facts.push(`- Policy: ${t.policy.rules.length} rule(s), ${t.policy.violations.length} violation(s)`);
  if (t.trafficSkipped) facts.push(`- Traffic test: ${t.trafficSkipped}`);
  if (t.traffic) facts.push(`- Traffic test: ${t.traffic.ok ? 'ok' : '**skewed**'}, ${t.traffic.requestsPerFrontend} requests per frontend`);
  if (t.diff) facts.push(`- Diff: ${t.diff.changes.length} change(s)${t.diff.severity ? `, most severe **${t.diff.severity}**` : ''}`);
  if (facts.length > 0) out.push('', ...facts);
  if (t.problems.length > 0) {
    out.push('', '| where | check | problem |', '|---|---|---|');
    for (const p of t.problems) out.push(`| \`${p.file}${p.line !== undefined ? `:${p.line}` : ''}\` | ${p.kind} | ${cell(p.message)} |`);
  }
  for (const pool of t.traffic?.pools ?? []) {
    out.push('', `${pool.pool} (\`${pool.algorithm}\`, ${pool.requests} requests, busiest ${pool.skew.toFixed(1)}x an even share):`, '', '| server | weight | promised | measured | requests |', '|---|---:|---:|---:|---:|');
    for (const s of pool.servers) out.push(`| ${cell(s.server)} | ${s.weight ?? '-'} | ${s.promised === undefined ? '-' : pct(s.promised)} | ${pct(s.share)} | ${s.requests} |`);
  }
  if (t.diff && t.diff.changes.length > 0) {
    out.push('', '<details><summary>Semantic diff</summary>', '');
    for (const c of t.diff.changes.slice(0, SHOWN_CHANGES)) out.push(`- **${c.severity}** ${cell(describeChange(c))}${c.line ? ` (line ${c.line})` : ''}`);
    if (t.diff.changes.length > SHOWN_CHANGES) out.push(`- ... and ${t.diff.changes.length - SHOWN_CHANGES} more`);
    out.push('', '</details>');
  }
  return out;
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
