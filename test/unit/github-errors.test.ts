import { describe, expect, it } from 'vitest';
import { gitHubError } from '../../src/github/errors.js';

/** What octokit throws: a RequestError with the status and GitHub's JSON reply. */
const failure = (status: number, data: unknown): unknown => Object.assign(new Error('HttpError'), { status, response: { data } });

describe('gitHubError: what a failed GitHub call tells the operator', () => {
  it("keeps GitHub's own reason for a 422 (its errors list), and says what the status means", () => {
    const e = gitHubError(failure(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:driftwarden/edge-lb.' }] }), 'opening a pull request from driftwarden/edge-lb');
    expect(e.message).toBe('GitHub: opening a pull request from driftwarden/edge-lb failed (HTTP 422): Validation Failed (A pull request already exists for acme:driftwarden/edge-lb.); GitHub refused the request as invalid');
    expect(e.status).toBe(422);
    const coded = gitHubError(failure(422, { message: 'Validation Failed', errors: [{ resource: 'Label', field: 'name', code: 'invalid' }] }), 'adding labels');
    expect(coded.message).toContain('Validation Failed (name invalid)');
  });

  it('names the fix for 401, 403 and 404', () => {
    expect(gitHubError(failure(401, { message: 'Bad credentials' }), 'reading pull requests').message).toMatch(/HTTP 401\): Bad credentials; the token is invalid or expired; check github\.tokenEnv$/);
    expect(gitHubError(failure(403, { message: 'Resource not accessible by integration' }), 'pushing').message).toMatch(/needs contents and pull-requests write/);
    expect(gitHubError(failure(404, { message: 'Not Found' }), 'reading the repository').message).toMatch(/check github\.repo/);
  });
});
