/**
 * Minimal, realistic GitHub REST objects: the fields GitHub's OpenAPI description requires, with
 * URLs under the fake's API base and html URLs under https://github.example.
 */
import { createHash } from 'node:crypto';

export const HTML_BASE = 'https://github.example';

/** Where the objects live: the fake's API base URL and the repository's name. */
export interface Site {
  api: string;
  owner: string;
  repo: string;
}

/** A stable positive integer id for a name (users, teams, labels). */
export function stableId(kind: string, name: string): number {
  return createHash('sha256').update(`${kind}:${name}`).digest().readUInt32BE(0) % 100_000_000 + 1_000;
}

export function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_kw${Buffer.from(String(id)).toString('base64url')}`;
}

/** GitHub's timestamps: ISO 8601 in UTC, to the second. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function user(site: Site, login: string) {
  const id = stableId('user', login);
  const api = `${site.api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId('U', id),
    avatar_url: `${HTML_BASE}/avatars/u/${id}`,
    gravatar_id: '',
    url: api,
    html_url: `${HTML_BASE}/${encodeURIComponent(login)}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
    user_view_type: 'public',
  };
}

export function team(site: Site, slug: string) {
  const id = stableId('team', slug);
  const api = `${site.api}/organizations/${stableId('user', site.owner)}/team/${id}`;
  return {
    id,
    node_id: nodeId('T', id),
    url: api,
    html_url: `${HTML_BASE}/orgs/${site.owner}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${api}/members{/member}`,
    repositories_url: `${api}/repos`,
    parent: null,
    type: 'organization' as const,
  };
}

export function repository(site: Site, defaultBranch: string, createdAt: string) {
  const full = `${site.owner}/${site.repo}`;
  const api = `${site.api}/repos/${full}`;
  const id = stableId('repo', full);
  return {
    id,
    node_id: nodeId('R', id),
    name: site.repo,
    full_name: full,
    owner: user(site, site.owner),
    private: true,
    html_url: `${HTML_BASE}/${full}`,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://github.example/${full}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@github.example:${full}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${HTML_BASE}/${full}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: `${HTML_BASE}/${full}`,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: createdAt,
    created_at: createdAt,
    updated_at: createdAt,
    allow_forking: false,
    web_commit_signoff_required: false,
    license: null,
  };
}

export function label(site: Site, name: string, color: string) {
  const id = stableId('label', `${site.owner}/${site.repo}/${name}`);
  return {
    id,
    node_id: nodeId('LA', id),
    url: `${site.api}/repos/${site.owner}/${site.repo}/labels/${encodeURIComponent(name)}`,
    name,
    // The label schema allows null here, but the labels inside pull-request(-simple) require a
    // string: an empty description satisfies both.
    description: '',
    color,
    default: false,
  };
}

export interface CommentRecord {
  id: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export function issueComment(site: Site, issue: number, c: CommentRecord) {
  const api = `${site.api}/repos/${site.owner}/${site.repo}`;
  return {
    id: c.id,
    node_id: nodeId('IC', c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${HTML_BASE}/${site.owner}/${site.repo}/pull/${issue}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${issue}`,
    body: c.body,
    user: user(site, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'CONTRIBUTOR' as const,
    performed_via_github_app: null,
    reactions: {
      url: `${api}/issues/comments/${c.id}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0,
    },
  };
}

/** What the fake knows about a pull request; turned into GitHub's objects by pullSimple/pullFull. */
export interface PullRecord {
  id: number;
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  user: string;
  head: string;
  headSha: string;
  base: string;
  baseSha: string;
  draft: boolean;
  merged: boolean;
  mergedBy: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  labels: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  comments: CommentRecord[];
}

export interface PullContext {
  defaultBranch: string;
  repoCreatedAt: string;
  labelColor: (name: string) => string;
}

export function pullSimple(site: Site, ctx: PullContext, p: PullRecord) {
  const full = `${site.owner}/${site.repo}`;
  const api = `${site.api}/repos/${full}`;
  const html = `${HTML_BASE}/${full}/pull/${p.number}`;
  const repo = repository(site, ctx.defaultBranch, ctx.repoCreatedAt);
  const owner = user(site, site.owner);
  const link = (href: string) => ({ href });
  return {
    url: `${api}/pulls/${p.number}`,
    id: p.id,
    node_id: nodeId('PR', p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    commits_url: `${api}/pulls/${p.number}/commits`,
    review_comments_url: `${api}/pulls/${p.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: user(site, p.user),
    body: p.body,
    labels: p.labels.map((name) => label(site, name, ctx.labelColor(name))),
    milestone: null,
    active_lock_reason: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.closedAt,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: p.requestedReviewers.map((login) => user(site, login)),
    requested_teams: p.requestedTeams.map((slug) => team(site, slug)),
    head: { label: `${site.owner}:${p.head}`, ref: p.head, sha: p.headSha, user: owner, repo },
    base: { label: `${site.owner}:${p.base}`, ref: p.base, sha: p.baseSha, user: owner, repo },
    _links: {
      self: link(`${api}/pulls/${p.number}`),
      html: link(html),
      issue: link(`${api}/issues/${p.number}`),
      comments: link(`${api}/issues/${p.number}/comments`),
      review_comments: link(`${api}/pulls/${p.number}/comments`),
      review_comment: link(`${api}/pulls/comments{/number}`),
      commits: link(`${api}/pulls/${p.number}/commits`),
      statuses: link(`${api}/statuses/${p.headSha}`),
    },
    author_association: 'CONTRIBUTOR' as const,
    auto_merge: null,
    draft: p.draft,
  };
}

export function pullFull(site: Site, ctx: PullContext, p: PullRecord, mergeable: boolean | null) {
  return {
    ...pullSimple(site, ctx, p),
    merged: p.merged,
    mergeable: p.state === 'open' ? mergeable : null,
    rebaseable: p.state === 'open' ? mergeable : null,
    mergeable_state: p.state !== 'open' ? 'unknown' : mergeable === null ? 'unknown' : mergeable ? 'clean' : 'dirty',
    merged_by: p.mergedBy === null ? null : user(site, p.mergedBy),
    comments: p.comments.length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

export function gitRef(site: Site, ref: string, sha: string, type: string) {
  const api = `${site.api}/repos/${site.owner}/${site.repo}`;
  return {
    ref,
    node_id: nodeId('REF', `${ref}`),
    url: `${api}/git/${ref}`,
    object: { type, sha, url: `${api}/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}` },
  };
}

/** The Error shape GitHub answers with; `docs` is the operation's documentation page. */
export function errorBody(message: string, status: number, docs = 'https://docs.github.com/rest', errors?: unknown[]) {
  return { message, ...(errors ? { errors } : {}), documentation_url: docs, status: String(status) };
}

/** The GitHub App a bot login (`name[bot]`) stands for: the app of its check runs. */
export function githubApp(site: Site, login: string, createdAt: string) {
  const slug = login.replace(/\[bot\]$/, '');
  const id = stableId('app', slug);
  return {
    id,
    slug,
    node_id: nodeId('A', id),
    client_id: `Iv1.${id.toString(16).padStart(16, '0')}`,
    owner: user(site, site.owner),
    name: slug,
    description: null,
    external_url: `${HTML_BASE}/apps/${encodeURIComponent(slug)}`,
    html_url: `${HTML_BASE}/apps/${encodeURIComponent(slug)}`,
    created_at: createdAt,
    updated_at: createdAt,
    permissions: { checks: 'write', contents: 'write', issues: 'write', metadata: 'read', pull_requests: 'write' },
    events: [],
  };
}

export type CheckStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion = 'action_required' | 'cancelled' | 'failure' | 'neutral' | 'success' | 'skipped' | 'timed_out';

/** A check-run annotation as GitHub stores and lists it (schema `check-annotation`). */
export interface CheckAnnotationRecord {
  path: string;
  blob_href: string;
  start_line: number;
  end_line: number;
  start_column: number | null;
  end_column: number | null;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string | null;
  message: string;
  raw_details: string | null;
}

/** What the fake knows about a check run; turned into GitHub's object by checkRun. */
export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: string | null;
  completedAt: string | null;
  /** As given; GitHub answers with the app's homepage when there is none. */
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: CheckAnnotationRecord[];
}

/** A minimal pull request, as inside a check run (schema `pull-request-minimal`). */
export function pullMinimal(site: Site, p: PullRecord) {
  const api = `${site.api}/repos/${site.owner}/${site.repo}`;
  const repo = { id: stableId('repo', `${site.owner}/${site.repo}`), url: api, name: site.repo };
  return {
    id: p.id,
    number: p.number,
    url: `${api}/pulls/${p.number}`,
    head: { ref: p.head, sha: p.headSha, repo },
    base: { ref: p.base, sha: p.baseSha, repo },
  };
}

export function checkRun(site: Site, c: CheckRunRecord, app: ReturnType<typeof githubApp>, pulls: ReturnType<typeof pullMinimal>[]) {
  const api = `${site.api}/repos/${site.owner}/${site.repo}`;
  return {
    id: c.id,
    head_sha: c.headSha,
    node_id: nodeId('CR', c.id),
    external_id: c.externalId,
    url: `${api}/check-runs/${c.id}`,
    html_url: `${HTML_BASE}/${site.owner}/${site.repo}/runs/${c.id}`,
    details_url: c.detailsUrl ?? app.external_url,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.startedAt,
    completed_at: c.completedAt,
    output: {
      title: c.output.title,
      summary: c.output.summary,
      text: c.output.text,
      annotations_count: c.annotations.length,
      annotations_url: `${api}/check-runs/${c.id}/annotations`,
    },
    name: c.name,
    check_suite: { id: stableId('check-suite', `${app.id}:${c.headSha}`) },
    app,
    pull_requests: pulls,
  };
}
