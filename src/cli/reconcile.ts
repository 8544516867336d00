import { describeAction } from '../reconcile/describe-action.js';
export { describeAction };
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
