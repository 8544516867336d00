import { runPass } from '../reconcile/pass.js';
import { withRuntime, type GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, printJson, type Io } from './io.js';
import { gitLine, renderTarget } from './render.js';

/** `driftwarden check [TARGET...] [--json]`: read-only; records transitions; exit 0/2/1. */
export async function checkCommand(io: Io, global: GlobalOptions, names: string[], opts: { json?: boolean }): Promise<number> {
  return withRuntime(io, global, 'check', true, async (rt) => {
    const pass = await runPass(rt, { only: names, record: true });
    const results = pass.checks.map((c) => c.result);
    const summary = {
      inSync: results.filter((r) => r.status === 'in-sync').length,
      drifted: results.filter((r) => r.status === 'drifted').length,
      error: results.filter((r) => r.status === 'error').length,
    };
    if (opts.json) {
      printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'check', git: pass.git, summary, targets: results });
    } else {
      io.out(gitLine(pass.git));
      for (const r of results) renderTarget(io, r);
      io.out(`${summary.inSync} in sync, ${summary.drifted} drifted, ${summary.error} error(s)`);
    }
    if (summary.error > 0) return EXIT.error;
    return summary.drifted > 0 ? EXIT.drift : EXIT.ok;
  });
}
