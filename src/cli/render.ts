import { describeChange } from '../diff/describe.js';
import type { Severity } from '../diff/severity.js';
import { provenanceLine } from '../git/provenance.js';
export { provenanceLine };
import type { GitState } from '../git/source.js';
import type { TargetResult } from '../reconcile/result.js';
import { paint, type Io } from './io.js';

const SEVERITY_STYLE: Record<Severity, Parameters<typeof paint>[1]> = {
  critical: ['bold', 'red'],
  high: 'red',
  medium: 'yellow',
  low: 'gray',
};

export function gitLine(git: GitState): string {
  const fresh = git.stale ? `STALE: fetch failed (${git.error ?? 'unknown'}), last fetched ${git.fetchedAt}` : `fetched ${git.fetchedAt}`;
  return `approved: ${git.branch} @ ${git.commit.slice(0, 12)} (${fresh})`;
}

export function severityTag(io: Io, s: Severity): string {
  return paint(io, SEVERITY_STYLE[s], s.padEnd(8));
}

/** The per-target block of `check`: status line, top changes, provenance, notes. */
export function renderTarget(io: Io, r: TargetResult, maxChanges = 10): void {
  const name = r.name.padEnd(20);
  if (r.status === 'in-sync') {
    io.out(`${name} ${paint(io, 'green', 'in sync')}`);
  } else if (r.status === 'error') {
    io.out(`${name} ${paint(io, 'red', 'ERROR')}    ${r.error?.message ?? ''}`);
  } else {
    io.out(`${name} ${paint(io, 'yellow', 'DRIFTED')}  ${r.severity ?? ''}, ${r.changes.length} change(s), since ${r.since ?? '?'}`);
    for (const c of r.changes.slice(0, maxChanges)) {
      const where = c.line && r.live ? `  (${c.file ?? (c.kind === 'removed' ? r.approved.origin : r.live.origin)}:${c.line})` : '';
      io.out(`  ${severityTag(io, c.severity)} ${describeChange(c)}${where}`);
    }
    if (r.changes.length > maxChanges) io.out(`  … and ${r.changes.length - maxChanges} more (driftwarden diff ${r.name})`);
    if (r.provenance) io.out(`  provenance: ${provenanceLine(r.provenance)}`);
    const facts = Object.entries(r.live?.facts ?? {}).filter(([k]) => k !== 'note');
    if (facts.length > 0) io.out(`  live: ${facts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (r.pr) io.out(`  pr: #${r.pr.number} ${r.pr.state} ${r.pr.url}`);
  for (const note of r.notes) io.out(`  note: ${note}`);
}
