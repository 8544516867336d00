import { DriftwardenError } from '../errors.js';

/** A GitHub API call failed for good (after the client's own retries), with what to do about it. */
export class GitHubError extends DriftwardenError {
  readonly code = 'github';
  constructor(readonly status: number | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Turns an octokit error into a GitHubError that says what to do; never includes the token. */
export function gitHubError(err: unknown, doing: string): GitHubError {
  const status = (err as { status?: number }).status;
  const data = (err as { response?: { data?: { message?: string; errors?: unknown } } }).response?.data;
  // A 422 says why in `errors` ("A pull request already exists for acme:driftwarden/edge").
  const details = Array.isArray(data?.errors) ? data.errors.map(errorDetail).filter(Boolean) : [];
  const reason = `${data?.message ?? (err as Error).message}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
  const hint =
    status === 401 ? 'the token is invalid or expired; check github.tokenEnv'
    : status === 403 ? 'the token lacks permission (it needs contents and pull-requests write), or a rate limit outlasted the retries'
    : status === 404 ? 'the repository or object was not found; check github.repo and that the token can see it'
    : status === 422 ? 'GitHub refused the request as invalid'
    : status !== undefined && status >= 500 ? 'GitHub kept failing after retries; the next pass tries again'
    : 'GitHub could not be reached';
  return new GitHubError(status, `GitHub: ${doing} failed${status ? ` (HTTP ${status})` : ''}: ${String(reason).slice(0, 300)}; ${hint}`, { cause: err });
}

/** One entry of GitHub's `errors`: a string, or `{ message }`, or `{ field, code }`. */
function errorDetail(e: unknown): string {
  if (typeof e === 'string') return e;
  const { message, field, code } = (e ?? {}) as { message?: string; field?: string; code?: string };
  return message ?? [field, code].filter(Boolean).join(' ');
}
