import type { Target } from '../config/types.js';
import { describeChange } from '../diff/describe.js';
import { unifiedDiff } from '../diff/text-diff.js';
import type { GitState } from '../git/source.js';
import type { GitHubRepo } from '../github/client.js';
import { gitHubError } from '../github/errors.js';
import { liveVerdict } from '../gate/live-verdict.js';
import { branchFor, parseMeta, prBody, prTitle } from '../github/pr-body.js';
import type { PullRequestRef, TargetState } from '../history/target-state.js';
import type { TargetCheck } from '../reconcile/check-target.js';
import type { Runtime } from '../reconcile/runtime.js';

export type PrOutcome =
  | { kind: 'opened' | 'updated' | 'unchanged'; pr: PullRequestRef; warnings?: string[] }
  | { kind: 'closed'; pr: PullRequestRef }
  | { kind: 'merged'; pr: PullRequestRef; by: string }
  | { kind: 'rejected'; pr: PullRequestRef }
  | { kind: 'open'; pr: PullRequestRef };

interface GhPull {
  number: number;
  html_url: string;
  state: string;
  body?: string | null;
  merged?: boolean;
  merged_at?: string | null;
  merged_by?: { login: string } | null;
}

/**
 * Opens or updates the one drift PR of a target: a commit (through the Git data API) that sets
 * the desired file to the live content, on branch `driftwarden/<target>`. The same drift again
 * makes no write call at all; a changed drift force-updates the branch, edits the body and adds
 * one comment.
 */
export async function proposeDrift(rt: Runtime, gh: GitHubRepo, check: TargetCheck, git: GitState, liveText: string): Promise<PrOutcome> {
  const { target, result } = check;
  const state = rt.history.state(target.name);
  const branch = branchFor(target.name);
  const existing = await findOpenPull(gh, branch, state.pr);
  const meta = parseMeta(existing?.body);
  // Only a different drift touches GitHub: a new commit elsewhere on the branch or a new
  // first-seen time alone changes nothing.
  if (existing && meta?.fingerprint === result.fingerprint) {
    return { kind: 'unchanged', pr: ref(existing, branch, result.fingerprint, meta.bodyHash) };
  }
  const diff = check.comparison ? unifiedDiff(check.comparison.approvedText, check.comparison.liveText, `approved: ${target.desired}`, `live: ${result.live?.origin ?? target.name}`) : null;
  const { body, bodyHash } = prBody({
    target: target.name,
    desired: target.desired,
    liveOrigin: result.live?.origin ?? target.name,
    fingerprint: result.fingerprint ?? '',
    severity: result.severity ?? 'low',
    changes: result.changes,
    provenance: result.provenance,
    firstSeen: state.since,
    commit: git.commit,
    branch,
    diff: diff?.kind === 'patch' ? diff.patch : null,
    onReject: target.onReject ?? 'revert',
    // Worked out only when the description is written: the same drift again costs nothing.
    verdict: await liveVerdict(rt.config, target, liveText),
  });
  const title = prTitle({ target: target.name, changes: result.changes, severity: result.severity ?? 'low' });
  // A PR opened before fingerprint v2 names this same drift by its old fingerprint: its
  // description is written once more, with the new one (no push, no comment), and from then on
  // the drift is recognised without working out the old fingerprint again.
  if (existing && meta && meta.fingerprint === check.comparison?.legacyFingerprint?.()) {
    try {
      const pull = (await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: existing.number, body })).data as GhPull;
      return { kind: 'unchanged', pr: ref(pull, branch, result.fingerprint, bodyHash) };
    } catch (err) {
      throw gitHubError(err, `updating the description of pull request #${existing.number}`);
    }
  }
  await pushCommit(rt, gh, target, git, liveText, branch, `driftwarden: ${target.name}: live config\n\n${result.changes.slice(0, 10).map((c) => `- ${c.severity}: ${describeChange(c)}`).join('\n')}\n\nFingerprint ${result.fingerprint ?? ''}, compared with ${git.commit}.`, existing !== undefined || state.pr?.branch === branch);
  const base = git.branch;
  let pull: GhPull;
  let kind: 'opened' | 'updated';
  const warnings: string[] = [];
  try {
    if (existing) {
      pull = (await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: existing.number, title, body })).data as GhPull;
      await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: existing.number, body: `The drift changed (fingerprint ${result.fingerprint ?? ''}): ${result.changes.slice(0, 3).map((c) => describeChange(c)).join('; ')}. The branch and the description are updated.` });
      kind = 'updated';
    } else {
      pull = (await gh.octokit.rest.pulls.create({ owner: gh.owner, repo: gh.repo, title, head: branch, base, body })).data as GhPull;
      // The PR exists now: a label or reviewer that GitHub refuses must not lose track of it.
      // ...but it is said (a team given without its org, a label GitHub refuses).
      const refused = (doing: string) => (err: unknown) => {
        const message = gitHubError(err, doing).message;
        warnings.push(message);
        rt.log.warn({ target: target.name, pr: pull.number, reason: message }, `pull request #${pull.number} is open, but ${doing} failed`);
      };
      if (gh.labels.length > 0) await gh.octokit.rest.issues.addLabels({ owner: gh.owner, repo: gh.repo, issue_number: pull.number, labels: gh.labels }).catch(refused(`adding the labels ${gh.labels.join(', ')}`));
      if (gh.reviewers.length > 0) {
        const [teams, users] = [gh.reviewers.filter((r) => r.includes('/')).map((r) => r.split('/')[1] as string), gh.reviewers.filter((r) => !r.includes('/'))];
        await gh.octokit.rest.pulls.requestReviewers({ owner: gh.owner, repo: gh.repo, pull_number: pull.number, reviewers: users, team_reviewers: teams }).catch(refused(`requesting reviews from ${gh.reviewers.join(', ')} (a team is written org/team)`));
      }
      kind = 'opened';
    }
  } catch (err) {
    throw gitHubError(err, existing ? `updating pull request #${existing.number}` : `opening a pull request from ${branch}`);
  }
  return { kind, pr: ref(pull, branch, result.fingerprint, bodyHash), ...(warnings.length > 0 ? { warnings } : {}) };
}

/** The live config is back to the approved one: close the PR with a comment and delete its branch. */
export async function closeResolved(gh: GitHubRepo, pr: PullRequestRef): Promise<PrOutcome> {
  try {
    await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: pr.number, body: 'The live configuration is back to the approved version: closing this pull request (nothing to approve any more).' });
    await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: pr.number, state: 'closed' });
    await gh.octokit.rest.git.deleteRef({ owner: gh.owner, repo: gh.repo, ref: `heads/${pr.branch}` }).catch(() => undefined);
  } catch (err) {
    throw gitHubError(err, `closing pull request #${pr.number}`);
  }
  return { kind: 'closed', pr: { ...pr, state: 'closed' } };
}

/** What became of the PR driftwarden opened: still open, merged (by whom), or closed by someone. */
export async function followPull(gh: GitHubRepo, pr: PullRequestRef): Promise<PrOutcome> {
  let pull: GhPull;
  try {
    pull = (await gh.octokit.rest.pulls.get({ owner: gh.owner, repo: gh.repo, pull_number: pr.number })).data as GhPull;
  } catch (err) {
    throw gitHubError(err, `reading pull request #${pr.number}`);
  }
  if (pull.merged || pull.merged_at) return { kind: 'merged', pr: { ...pr, state: 'merged' }, by: pull.merged_by?.login ?? 'unknown' };
  if (pull.state === 'closed') return { kind: 'rejected', pr: { ...pr, state: 'closed' } };
  return { kind: 'open', pr };
}

async function findOpenPull(gh: GitHubRepo, branch: string, known: TargetState['pr']): Promise<GhPull | undefined> {
  try {
    if (known?.state === 'open') {
      const pull = (await gh.octokit.rest.pulls.get({ owner: gh.owner, repo: gh.repo, pull_number: known.number })).data as GhPull;
      if (pull.state === 'open') return pull;
    }
    const list = await gh.octokit.rest.pulls.list({ owner: gh.owner, repo: gh.repo, head: `${gh.owner}:${branch}`, state: 'open', per_page: 10 });
    return (list.data as GhPull[])[0];
  } catch (err) {
    throw gitHubError(err, `looking for the open pull request of ${branch}`);
  }
}

/**
 * One commit on top of the compared approved commit, through the Git data API (no push
 * credentials): three write calls. The file's content goes inline in the tree (GitHub writes the
 * blob itself). A branch that should be there (the target has a PR on it) is force-moved without
 * reading it first; otherwise one read says whether to create or move it, so that no write is
 * spent on a refusal. A 422 (the branch appeared or went away meanwhile) falls back to the other.
 */
async function pushCommit(rt: Runtime, gh: GitHubRepo, target: Target, git: GitState, content: string, branch: string, message: string, likelyExists: boolean): Promise<void> {
  const o = { owner: gh.owner, repo: gh.repo };
  try {
    if (!likelyExists && (await commitOnNewBranch(rt, gh, target, git, content, branch, message))) return;
    const baseTree = (await rt.git.raw(['rev-parse', `${git.commit}^{tree}`])).trim();
    const tree = await gh.octokit.rest.git.createTree({ ...o, base_tree: baseTree, tree: [{ path: target.desired, mode: '100644', type: 'blob', content }] });
    const commit = await gh.octokit.rest.git.createCommit({ ...o, message, tree: tree.data.sha, parents: [git.commit] });
    const sha = commit.data.sha;
    const create = async (): Promise<void> => void (await gh.octokit.rest.git.createRef({ ...o, ref: `refs/heads/${branch}`, sha }));
    const move = async (): Promise<void> => void (await gh.octokit.rest.git.updateRef({ ...o, ref: `heads/${branch}`, sha, force: true }));
    const exists =
      likelyExists ||
      (await gh.octokit.rest.git.getRef({ ...o, ref: `heads/${branch}` }).then(() => true, (err: { status?: number }) => {
        if (err.status === 404) return false;
        throw err;
      }));
    try {
      await (exists ? move() : create());
    } catch (err) {
      if ((err as { status?: number }).status !== 422) throw err;
      await (exists ? create() : move());
    }
  } catch (err) {
    throw gitHubError(err, `writing the drift commit to ${branch}`);
  }
}

/**
 * A new drift branch in two writes: the branch at the approved commit, then the live file
 * committed on it through the Contents API (instead of tree, commit and ref). False when the
 * branch already exists (left over): the caller moves it instead.
 */
async function commitOnNewBranch(rt: Runtime, gh: GitHubRepo, target: Target, git: GitState, content: string, branch: string, message: string): Promise<boolean> {
  const o = { owner: gh.owner, repo: gh.repo };
  try {
    await gh.octokit.rest.git.createRef({ ...o, ref: `refs/heads/${branch}`, sha: git.commit });
  } catch (err) {
    if ((err as { status?: number }).status === 422) return false;
    throw err;
  }
  // The approved file's blob id at that commit, which GitHub wants when a file is replaced.
  const approved = (await rt.git.raw(['ls-tree', '-z', git.commit, '--', `:(literal)${target.desired}`])).split('\t')[0]?.split(' ')[2];
  await gh.octokit.rest.repos.createOrUpdateFileContents({ ...o, path: target.desired, message, content: Buffer.from(content, 'utf8').toString('base64'), branch, ...(approved ? { sha: approved } : {}) });
  return true;
}

function ref(pull: GhPull, branch: string, fingerprint: string | null, bodyHash: string): PullRequestRef {
  return { number: pull.number, url: pull.html_url, branch, fingerprint, bodyHash, state: 'open' };
}
