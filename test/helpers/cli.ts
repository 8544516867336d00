import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** Runs the CLI in this process with captured output (fast; same code path as the binary). */
export async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), color: false, isTty: false };
  const code = await main(argv, io);
  return result(code, out.join('\n'), err.join('\n'));
}

export const BIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'bin.js');

/** Runs the built `driftwarden` binary as a user would (needs `npm run build`). */
export function bin(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: options.cwd, env: options.env ?? process.env, timeout: 60_000 });
  return result(r.status ?? 1, r.stdout, r.stderr);
}

function result(code: number, stdout: string, stderr: string): CliRun {
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
