import { unifiedDiff } from '../diff/text-diff.js';
import { runPass } from '../reconcile/pass.js';
import { withRuntime, type GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, paint, printJson, type Io } from './io.js';
import { gitLine, renderTarget } from './render.js';

/** `driftwarden diff TARGET [--json]`: the semantic change list and the unified diff. Records nothing. */
export async function diffCommand(io: Io, global: GlobalOptions, name: string, opts: { json?: boolean }): Promise<number> {
  return withRuntime(io, global, 'diff', true, async (rt) => {
    const pass = await runPass(rt, { only: [name], record: false });
    const check = pass.checks[0];
    if (!check) return EXIT.error;
    const r = check.result;
    const c = check.comparison;
    const text =
      c && !c.inSync
        ? (() => {
            const d = unifiedDiff(c.approvedText, c.liveText, `approved: ${r.approved.origin}`, `live: ${r.live?.origin ?? r.name}`);
            return d.kind === 'patch' ? d : { ...d, approvedHash: c.approvedHash, liveHash: c.liveHash };
          })()
        : null;
    if (opts.json) {
      printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'diff', git: pass.git, target: r, diff: text });
    } else {
      io.out(gitLine(pass.git));
      renderTarget(io, r, Number.POSITIVE_INFINITY);
      if (text?.kind === 'patch') {
        io.out('');
        for (const line of text.patch.split('\n')) io.out(colorLine(io, line));
      } else if (text?.kind === 'too-large') {
        io.out(`diff too large to show (${text.reason}); approved sha256 ${text.approvedHash}, live sha256 ${text.liveHash}`);
      }
    }
    if (r.status === 'error') return EXIT.error;
    return r.status === 'drifted' ? EXIT.drift : EXIT.ok;
  });
}

function colorLine(io: Io, line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return paint(io, 'bold', line);
  if (line.startsWith('+')) return paint(io, 'green', line);
  if (line.startsWith('-')) return paint(io, 'red', line);
  if (line.startsWith('@@')) return paint(io, 'cyan', line);
  return line;
}
