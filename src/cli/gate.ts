import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isRemote, loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { runGate } from '../gate/gate.js';
import { publishGate, type Published } from '../gate/publish.js';
import { gateLines } from '../gate/render.js';
import { GateRepo } from '../gate/repo.js';
import { gitHubRepo } from '../github/client.js';
import type { GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, printJson, type Io } from './io.js';

export interface GateOptions {
  base?: string;
  head?: string;
  repo?: string;
  all?: boolean;
  json?: boolean;
  githubCheck?: boolean;
  pr?: string;
  sha?: string;
}

/**
 * `driftwarden gate`: checks a change to the config repository before it merges (see
 * gate/gate.ts). Exit 0 pass, 3 blocked, 1 error. Reads a local checkout; writes nothing but the
 * check run and comment of `--github-check`.
 */
export async function gateCommand(io: Io, global: GlobalOptions, opts: GateOptions): Promise<number> {
  const config = loadConfig(global.config);
  const dir = resolve(opts.repo ?? (isRemote(config.git.repo) ? process.cwd() : config.git.repo));
  const repo = new GateRepo(dir);
  const event = githubEvent();
  const base = opts.base ?? (await defaultBase(repo, config.git.branch));
  const head = opts.head ?? 'HEAD';
  // What publishing needs is checked first: a gate that cannot report should not run for minutes.
  let github: { repo: ReturnType<typeof gitHubRepo>; pr: number | undefined } | undefined;
  if (opts.githubCheck) {
    if (!config.github) throw new UsageError('--github-check needs a top-level `github` section in the config (repo, tokenEnv)');
    const token = process.env[config.github.tokenEnv];
    if (!token) throw new UsageError(`--github-check needs a token in the environment variable ${config.github.tokenEnv} (github.tokenEnv) with checks:write and pull-requests:write`);
    github = { repo: gitHubRepo(config.github, token), pr: opts.pr !== undefined ? prNumber(opts.pr) : event.pr };
  }
  const report = await runGate(config, { repo, base, head, ...(opts.all ? { all: true } : {}) });
  let published: Published | undefined;
  if (github) {
    // On a pull_request event, HEAD is GitHub's merge commit: the check belongs on the PR's head.
    const sha = opts.sha ?? event.sha ?? report.head.commit;
    published = await publishGate(github.repo, report, sha, github.pr);
  }
  if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'gate', ...report, ...(published ? { published } : {}) });
  else {
    for (const line of gateLines(report)) io.out(line);
    if (published) {
      io.out(`check run ${published.checkRun.created ? 'created' : 'updated'}: ${published.checkRun.url || `#${published.checkRun.id}`}`);
      if (published.comment) io.out(`pull request comment ${published.comment.created ? 'created' : published.comment.updated ? 'updated' : 'unchanged'}: ${published.comment.url}`);
    }
  }
  return report.verdict === 'pass' ? EXIT.ok : report.verdict === 'blocked' ? EXIT.blocked : EXIT.error;
}

/** The base branch: the pull request's (GITHUB_BASE_REF in Actions), else the config's; the remote's copy when there is one. */
async function defaultBase(repo: GateRepo, branch: string): Promise<string> {
  const name = process.env.GITHUB_BASE_REF || branch;
  return (await repo.has(`origin/${name}`)) ? `origin/${name}` : name;
}

function prNumber(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--pr ${JSON.stringify(text)}: a pull request number, e.g. --pr 42`);
  return Number(text);
}

/** The pull request number and head commit of a GitHub Actions pull_request event, when run in one. */
function githubEvent(): { pr?: number; sha?: string } {
  const file = process.env.GITHUB_EVENT_PATH;
  const out: { pr?: number; sha?: string } = {};
  if (file) {
    try {
      const event = JSON.parse(readFileSync(file, 'utf8')) as { pull_request?: { number?: unknown; head?: { sha?: unknown } } };
      if (typeof event.pull_request?.number === 'number') out.pr = event.pull_request.number;
      if (typeof event.pull_request?.head?.sha === 'string') out.sha = event.pull_request.head.sha;
    } catch {
      /* not a pull request event */
    }
  }
  const ref = /^refs\/pull\/(\d+)\//.exec(process.env.GITHUB_REF ?? '');
  if (out.pr === undefined && ref) out.pr = Number(ref[1]);
  return out;
}
