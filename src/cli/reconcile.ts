import type { ActionReport } from '../reconcile/act.js';
import { runPass } from '../reconcile/pass.js';
import { withRuntime, type GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, paint, printJson, type Io } from './io.js';
import { gitLine, renderTarget } from './render.js';

/** `driftwarden reconcile [TARGET...] [--dry-run] [--json]`: one pass that acts per target mode. */
export async function reconcileCommand(io: Io, global: GlobalOptions, names: string[], opts: { dryRun?: boolean; json?: boolean }): Promise<number> {
  return withRuntime(io, global, 'reconcile', true, async (rt) => {
    const pass = await runPass(rt, { only: names, record: true, act: true, ...(opts.dryRun ? { dryRun: true } : {}) });
    const rows = pass.checks.map((c, i) => ({ ...c.result, action: pass.actions[i] ?? { kind: 'none' } }));
    if (opts.json) {
      printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'reconcile', dryRun: Boolean(opts.dryRun), git: pass.git, targets: rows });
    } else {
      io.out(gitLine(pass.git));
      if (opts.dryRun) io.out(paint(io, 'yellow', 'dry run: nothing is applied or recorded'));
      for (const row of rows) {
        renderTarget(io, row);
        const line = describeAction(row.action);
        if (line) io.out(`  action: ${line}`);
      }
    }
    if (rows.some((r) => r.status === 'error' || r.action.kind === 'revert-failed')) return EXIT.error;
    return rows.some((r) => r.status === 'drifted') ? EXIT.drift : EXIT.ok;
  });
}

export function describeAction(a: ActionReport): string | undefined {
  switch (a.kind) {
    case 'none':
    case 'alerted':
      return undefined;
    case 'would-propose-pr':
      return 'would open or update the drift pull request';
    case 'would-close-pr':
      return 'would close the drift pull request (the live config is back to the approved one)';
    case 'pr':
      return `pull request #${a.number} ${a.outcome}: ${a.url}`;
    case 'pr-failed':
      return `pull request step failed: ${a.reason}`;
    case 'would-revert':
      return `would revert to ${a.commit.slice(0, 12)}`;
    case 'reverted':
      return `reverted to ${a.commit.slice(0, 12)} (${a.steps.join('; ')})`;
    case 'revert-failed':
      return `revert ${a.outcome.kind}: ${a.outcome.kind === 'invalid' ? a.outcome.messages.map((m) => m.message).join('; ') : 'reason' in a.outcome ? a.outcome.reason : ''}`;
    case 'refused':
      return `not reverting (${a.reason}): ${a.detail}`;
    case 'contested':
      return `contested, automation stopped: ${a.detail}; fields: ${a.fields.join(', ')}`;
  }
}
