import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli, type CliRun } from './cli.js';
import { TestRepo } from './git-repo.js';
import { tempDir } from './tmp.js';

/** The postmortem's policy, as the issue writes it. */
export const POLICY = [
  { name: 'production algorithms', targets: 'prod-*', allow: { algorithm: ['roundrobin', 'leastconn'] } },
  { name: 'redundancy', require: { minServersPerPool: 2 } },
  { name: 'no maintenance left behind', forbid: { serverState: ['disabled', 'drain'] } },
];

export interface GateRepoEnv {
  repo: TestRepo;
  config: string;
  /** Commits `files` on a branch `change` off main and runs `gate` on it (`--json` added by `json`). */
  propose(files: Record<string, string>, ...args: string[]): Promise<CliRun>;
}

/**
 * A config repository (a real Git repository in a temp folder) whose main branch holds
 * `approved` and a driftwarden.yaml with `targets` and the postmortem's policy; the gate runs on
 * a branch that changes it, as CI runs it on a pull request.
 */
export function gateRepo(approved: Record<string, string>, targets: Record<string, unknown>[], options: { policy?: unknown[]; github?: Record<string, unknown> } = {}): GateRepoEnv {
  const dir = tempDir('dw-gaterepo-');
  const repo = new TestRepo(join(dir, 'repo'));
  const config = join(repo.dir, 'driftwarden.yaml');
  const yaml = stringify({ git: { repo: '.', branch: 'main' }, state: join(dir, 'state'), ...(options.github ? { github: options.github } : {}), policy: options.policy ?? POLICY, targets });
  repo.commit({ ...approved, 'driftwarden.yaml': yaml }, 'Approved load balancer configs');
  let n = 0;
  return {
    repo,
    config,
    async propose(files, ...args) {
      repo.checkout('main');
      repo.branch(`change-${++n}`);
      repo.commit(files, 'Proposed change');
      return cli('--config', config, 'gate', ...args);
    },
  };
}

/** Processes whose command line holds `marker` (from /proc): what a test must not leave running. */
export function processesWith(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(marker) && Number(pid) !== process.pid) out.push(`${pid}: ${cmd}`);
    } catch {
      /* it ended meanwhile */
    }
  }
  return out;
}

/**
 * Gives this test file a temp directory of its own (TMPDIR, for the gate it runs in this
 * process) and returns it: test files run side by side, so a check for processes left behind
 * must look for this file's folder, not for every traffic test of the machine.
 */
export function ownTmpdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-gatefile-'));
  const saved = process.env.TMPDIR;
  beforeAll(() => {
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
