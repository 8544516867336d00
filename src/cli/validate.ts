import { loadConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { openRuntime } from '../reconcile/runtime.js';
import { getProvider } from '../providers/registry.js';
import { cliActor, type GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, printJson, type Io } from './io.js';

/** `driftwarden validate`: the config file, then every target's desired file at the branch tip. */
export async function validateCommand(io: Io, global: GlobalOptions, opts: { json?: boolean }): Promise<number> {
  const config = loadConfig(global.config); // throws ConfigurationError with every problem
  const rt = await openRuntime(config, cliActor());
  try {
    const git = await rt.git.sync();
    const targets: { name: string; desired: string; ok: boolean; error?: string }[] = [];
    for (const t of config.targets) {
      const origin = `${t.desired}@${git.commit.slice(0, 12)}`;
      const text = await rt.git.readFile(git.commit, t.desired);
      if (text === null) {
        targets.push({ name: t.name, desired: t.desired, ok: false, error: `${origin}: not found on branch ${git.branch}` });
        continue;
      }
      try {
        await getProvider(t.provider).parse(text, origin, t);
        targets.push({ name: t.name, desired: t.desired, ok: true });
      } catch (err) {
        targets.push({ name: t.name, desired: t.desired, ok: false, error: rt.redactor.scrub(errorMessage(err)) });
      }
    }
    const ok = targets.every((t) => t.ok);
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'validate', ok, config: config.file, git, targets });
    else {
      io.out(`${config.file}: valid (${config.targets.length} target(s))`);
      for (const t of targets) (t.ok ? io.out : io.err)(t.ok ? `${t.name}: ${t.desired} ok` : `${t.name}: ${t.error}`);
    }
    return ok ? EXIT.ok : EXIT.error;
  } finally {
    rt.close();
  }
}
