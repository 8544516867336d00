import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { TreeCache } from '../cache/tree-cache.js';
import { Redactor } from '../diff/redact.js';
import { GitSource } from '../git/source.js';
import { HistoryStore } from '../history/store.js';
import { loadInstallKey } from '../state/install-key.js';
import type { GitHubRepo } from '../github/client.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { Notifier } from '../notify/notifier.js';

/** Everything a command needs, opened once from a loaded config. */
export interface Runtime {
  config: Config;
  git: GitSource;
  history: HistoryStore;
  redactor: Redactor;
  /** Who acts: `service`, or `cli:<os user>`. */
  actor: string;
  /** Why a target fetch may be unauthenticated, etc.; shown once per command. */
  warnings: string[];
  /** The GitHub repository for drift PRs, when configured and its token is set. */
  github?: GitHubRepo;
  notifier: Notifier;
  /** Parsed trees of drifted texts, kept between passes (see TreeCache). */
  trees: TreeCache;
  log: Logger;
  close(): void;
}

/**
 * `fetchNow`: start the Git fetch before opening the rest (a command that runs a pass joins it
 * with `git.sync()`); only while holding the writer lock.
 */
export async function openRuntime(config: Config, actor: string, log: Logger = silentLogger, options: { fetchNow?: boolean } = {}): Promise<Runtime> {
  const warnings: string[] = [];
  let token: string | undefined;
  if (config.git.tokenEnv) {
    token = process.env[config.git.tokenEnv] || undefined;
    if (!token) warnings.push(`environment variable ${config.git.tokenEnv} (git.tokenEnv) is not set; fetching without a token`);
  }
  const repoKey = createHash('sha256').update(config.git.repo).digest('hex').slice(0, 16);
  const git = new GitSource({ repo: config.git.repo, branch: config.git.branch, token, cacheDir: join(config.stateDir, 'git', repoKey) });
  if (options.fetchNow) git.startSync();
  try {
    const installKey = loadInstallKey(config.stateDir);
    const redactor = new Redactor(installKey, config.redact);
    const history = new HistoryStore(join(config.stateDir, 'history.db'));
    let github: GitHubRepo | undefined;
    if (config.github) {
      const ghToken = process.env[config.github.tokenEnv];
      // octokit is loaded only when a GitHub repository is configured (a CLI start stays fast).
      if (ghToken) github = (await import('../github/client.js')).gitHubRepo(config.github, ghToken);
      else if (config.targets.some((t) => t.mode === 'pr')) warnings.push(`environment variable ${config.github.tokenEnv} (github.tokenEnv) is not set; targets in mode pr only alert`);
    }
    const notifier = new Notifier(history, config.notify, actor, log);
    const close = (): void => {
      git.close();
      history.close();
    };
    return { config, git, history, redactor, actor, warnings, notifier, trees: TreeCache.open(config.stateDir, installKey), log, ...(github ? { github } : {}), close };
  } catch (err) {
    git.close(); // a fetch started for a runtime that did not open
    throw err;
  }
}
