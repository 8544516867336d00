import { spawn } from 'node:child_process';

export interface RunGitOptions {
  env: NodeJS.ProcessEnv;
  /** The process is killed and the run fails after this long. */
  timeoutMs: number;
  /** Called as soon as git has been started (before it ends): work that can overlap it starts then. */
  onSpawn?: () => void;
  /** Stops git (SIGTERM: it removes its lock files) and fails the run. */
  signal?: AbortSignal;
  /**
   * Creates the bare repository first (`git init --bare`), in the same process start: one shell
   * runs both, so the command does not wait for this thread between them.
   */
  init?: boolean;
}

/**
 * `git --git-dir <gitDir> <args>`, its standard output as text. Used where a pass needs to know
 * the moment git starts (the fetch, which the reads of the live configs overlap); the rest goes
 * through simple-git. A failure's message is git's own standard error, as simple-git reports it.
 */
export function runGit(gitDir: string, args: readonly string[], options: RunGitOptions): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // The shell's arguments are passed as positional parameters, never spliced into its script.
    const child = options.init
      ? spawn('sh', ['-c', 'git --git-dir "$0" init --bare --quiet && exec git --git-dir "$0" "$@"', gitDir, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('git', ['--git-dir', gitDir, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolvePromise(Buffer.concat(out).toString('utf8'));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(new Error(`git ${args[0] ?? ''} did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped`));
    }, options.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => settle(e));
    const { signal } = options;
    if (signal) {
      const stop = (): void => {
        child.kill('SIGTERM');
        settle(new Error(`git ${args[0] ?? ''} was stopped`));
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      child.on('close', () => signal.removeEventListener('abort', stop));
    }
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) settle(undefined);
      else settle(new Error(stderr || `git ${args[0] ?? ''} exited with ${code ?? signal}`));
    });
    options.onSpawn?.();
  });
}
