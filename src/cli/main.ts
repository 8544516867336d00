import { Command, CommanderError } from 'commander';
import { ConfigurationError, DriftwardenError, errorMessage } from '../errors.js';
import { EXIT, printJson, processIo, type Io } from './io.js';
import type { RevertOptions } from './revert.js';
import type { RunOptions } from './run.js';
import type { GateOptions } from './gate.js';

// Each command's module is loaded when it runs: `--help` or `status` do not pay for octokit,
// prom-client or the providers.
const checkCommand: typeof import('./check.js').checkCommand = async (...a) => (await import('./check.js')).checkCommand(...a);
const diffCommand: typeof import('./diff.js').diffCommand = async (...a) => (await import('./diff.js')).diffCommand(...a);
const historyCommand: typeof import('./history.js').historyCommand = async (...a) => (await import('./history.js')).historyCommand(...a);
const verifyCommand: typeof import('./history.js').verifyCommand = async (...a) => (await import('./history.js')).verifyCommand(...a);
const statusCommand: typeof import('./status.js').statusCommand = async (...a) => (await import('./status.js')).statusCommand(...a);
const validateCommand: typeof import('./validate.js').validateCommand = async (...a) => (await import('./validate.js')).validateCommand(...a);
const reconcileCommand: typeof import('./reconcile.js').reconcileCommand = async (...a) => (await import('./reconcile.js')).reconcileCommand(...a);
const revertCommand: typeof import('./revert.js').revertCommand = async (...a) => (await import('./revert.js')).revertCommand(...a);
const pauseCommand: typeof import('./pause.js').pauseCommand = async (...a) => (await import('./pause.js')).pauseCommand(...a);
const resumeCommand: typeof import('./pause.js').resumeCommand = async (...a) => (await import('./pause.js')).resumeCommand(...a);
const gateCommand: typeof import('./gate.js').gateCommand = async (...a) => (await import('./gate.js')).gateCommand(...a);
const runCommand: typeof import('./run.js').runCommand = async (...a) => (await import('./run.js')).runCommand(...a);

/** Builds the CLI. Each command file parses nothing itself and returns an exit code. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('driftwarden')
    .description('Keeps live load-balancer configuration equal to the version approved in Git.')
    .option('-c, --config <path>', 'config file', 'driftwarden.yaml')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const global = () => program.opts<{ config: string }>();
  const run = (fn: () => Promise<number>) => async () => setExit(await fn());

  program
    .command('check')
    .description('compare every (or the named) target with Git; records transitions; exit 0 in sync, 2 drift, 1 error')
    .argument('[targets...]', 'target names (default: all)')
    .option('--json', 'machine-readable output')
    .action((names: string[], opts: { json?: boolean }) => run(() => checkCommand(io, global(), names, opts))());
  program
    .command('diff')
    .description('semantic change list and unified diff of one target')
    .argument('<target>', 'target name')
    .option('--json', 'machine-readable output')
    .action((name: string, opts: { json?: boolean }) => run(() => diffCommand(io, global(), name, opts))());
  program
    .command('status')
    .description('last known state of every target, from history (no network)')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => run(() => statusCommand(io, global(), opts))());
  const history = program
    .command('history')
    .description('query the event history')
    .option('--target <name>', 'only this target')
    .option('--type <type>', 'event type or family (drift, drift.detected, git, ...)')
    .option('--since <when>', 'duration such as 2h, 7d, or an ISO time')
    .option('--limit <n>', 'newest N events', '50')
    .option('--json', 'machine-readable output')
    .action((opts) => run(() => historyCommand(io, global(), opts))());
  history
    .command('verify')
    .description('walk the hash chain; exit 1 naming the first bad event')
    .option('--json', 'machine-readable output')
    .action((_opts: unknown, cmd: Command) => run(() => verifyCommand(io, global(), cmd.optsWithGlobals()))());
  program
    .command('reconcile')
    .description('one pass that acts per target mode (alert, revert); --dry-run shows what each target would get')
    .argument('[targets...]', 'target names (default: all)')
    .option('--dry-run', 'decide and print, change nothing')
    .option('--json', 'machine-readable output')
    .action((names: string[], opts: { dryRun?: boolean; json?: boolean }) => run(() => reconcileCommand(io, global(), names, opts))());
  program
    .command('revert')
    .description('put the approved version (or the file at --to REF) back onto the live load balancer')
    .argument('<target>', 'target name')
    .option('--to <ref>', 'a commit, tag or branch in the approved branch\'s history')
    .option('--dry-run', 'show what would be applied, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--reason <text>', 'why (recorded in history)')
    .option('--force', 'apply a REF outside the approved history, or a config that leaves a pool empty (recorded)')
    .option('--allow-stale', 'revert even though the Git fetch failed (recorded)')
    .option('--json', 'machine-readable output')
    .action((name: string, opts: RevertOptions) => run(() => revertCommand(io, global(), name, opts))());
  program
    .command('pause')
    .description('break glass: keep checking TARGET but apply nothing to it for a while')
    .argument('<target>', 'target name')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 4h')
    .requiredOption('--reason <text>', 'why (recorded in history)')
    .option('--json', 'machine-readable output')
    .action((name: string, opts: { for?: string; reason?: string; json?: boolean }) => run(() => pauseCommand(io, global(), name, opts))());
  program
    .command('resume')
    .description('end a pause (and a contested state or backoff): TARGET is handled by its mode again')
    .argument('<target>', 'target name')
    .option('--reason <text>', 'why (recorded in history)')
    .option('--json', 'machine-readable output')
    .action((name: string, opts: { reason?: string; json?: boolean }) => run(() => resumeCommand(io, global(), name, opts))());
  program
    .command('run')
    .description('the service: reconcile on the schedule, serve /healthz /readyz /metrics /status /history, POST /reconcile and GitHub webhooks; SIGHUP reloads the config, SIGTERM stops')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--log-format <format>', 'json (one object per line) or pretty; default pretty on a terminal, json otherwise')
    .action((opts: RunOptions) => run(() => runCommand(io, global(), opts))());
  program
    .command('gate')
    .description('check a change to the config repository before it merges: native validation, policy, traffic test, semantic diff; exit 0 pass, 3 blocked, 1 error')
    .option('--base <ref>', 'what the change is compared with (default: origin/<PR base or git.branch>)')
    .option('--head <ref>', 'the proposed commit', 'HEAD')
    .option('--repo <path>', 'the config repository checkout (default: git.repo when local, else the current folder)')
    .option('--all', 'check every target, not only those whose files changed')
    .option('--github-check', 'publish the result as a check run with annotations and a pull request comment (updated, not duplicated)')
    .option('--pr <number>', 'the pull request to comment on (default: from the GitHub Actions event)')
    .option('--sha <commit>', 'the commit the check run belongs to (default: the pull request head, else --head)')
    .option('--json', 'machine-readable output')
    .action((opts: GateOptions) => run(() => gateCommand(io, global(), opts))());
  program
    .command('validate')
    .description('validate the config file and every target\'s approved file')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => run(() => validateCommand(io, global(), opts))());
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    if (json) printJson(io, { error: { code: err instanceof DriftwardenError ? err.code : 'internal', message: errorMessage(err), ...(err instanceof ConfigurationError ? { problems: err.problems } : {}) } });
    if (err instanceof ConfigurationError) {
      io.err(`error: invalid configuration (${err.problems.length} problem(s)):`);
      for (const line of err.message.split('\n')) io.err(`  ${line}`);
    } else if (err instanceof DriftwardenError) {
      io.err(`error: ${err.message}`);
    } else {
      io.err(`error: unexpected failure: ${errorMessage(err)}`);
      if (process.env.DRIFTWARDEN_DEBUG) io.err(String((err as Error).stack));
    }
    return EXIT.error;
  }
}
