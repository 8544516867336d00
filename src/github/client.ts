import { Octokit } from 'octokit';
import type { Config } from '../config/types.js';

export interface GitHubRepo {
  octokit: Octokit;
  owner: string;
  repo: string;
  labels: string[];
  reviewers: string[];
}

const RETRIES = 3;

/**
 * The octokit client for drift PRs: throttling (retry-after and x-ratelimit-reset honoured, at
 * least a second between write calls) and retries of 5xx, both from octokit's own plugins.
 */
export function gitHubRepo(config: NonNullable<Config['github']>, token: string): GitHubRepo {
  const [owner = '', repo = ''] = config.repo.split('/');
  const octokit = new Octokit({
    auth: token,
    baseUrl: config.apiUrl.replace(/\/$/, ''),
    userAgent: 'driftwarden',
    throttle: {
      onRateLimit: (_after: number, _options: unknown, _o: unknown, retryCount: number) => retryCount < RETRIES,
      onSecondaryRateLimit: (_after: number, _options: unknown, _o: unknown, retryCount: number) => retryCount < RETRIES,
    },
    retry: { retries: RETRIES },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return { octokit, owner, repo, labels: config.labels, reviewers: config.reviewers };
}
