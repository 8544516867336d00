import type { GitHubRepo } from '../github/client.js';
import type { GateReport } from './gate.js';
import { GATE_COMMENT_MARKER, gateMarkdown } from './render.js';

/** The check run's name: one per commit, found again by it. */
export const CHECK_NAME = 'driftwarden gate';
/** GitHub takes at most 50 annotations per request. */
const ANNOTATIONS_PER_REQUEST = 50;
/** GitHub refuses a check run summary or comment over 65,535 characters. */
const MAX_TEXT = 65_000;

interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
}

export interface Published {
  checkRun: { id: number; url: string; created: boolean; annotationsAdded: number };
  comment?: { id: number; url: string; created: boolean; updated: boolean };
}

/**
 * `gate --github-check`: the report as a check run on `sha`, with an annotation on each located
 * problem, and as a summary comment on the pull request. Both are found again on the next run
 * (the check run by name on the same commit, the comment by a hidden marker) and updated, not
 * duplicated. GitHub appends the annotations of an update to the run's: only those not there
 * yet are sent.
 */
export async function publishGate(gh: GitHubRepo, report: GateReport, sha: string, pr: number | undefined): Promise<Published> {
  const checkRun = await publishCheckRun(gh, report, sha);
  if (pr === undefined) return { checkRun };
  return { checkRun, comment: await publishComment(gh, report, pr) };
}

function annotationsOf(report: GateReport): Annotation[] {
  const out: Annotation[] = [];
  for (const t of report.targets) {
    for (const p of t.problems) {
      if (p.line === undefined) continue;
      out.push({ path: p.file, start_line: p.line, end_line: p.line, annotation_level: 'failure', title: `driftwarden gate: ${p.kind} (${t.target})`, message: p.message });
    }
  }
  return out;
}

const annotationKey = (a: { path: string; start_line: number; message: string | null }): string => `${a.path}\u0000${a.start_line}\u0000${a.message ?? ''}`;

async function publishCheckRun(gh: GitHubRepo, report: GateReport, sha: string): Promise<Published['checkRun']> {
  const { octokit, owner, repo } = gh;
  const problems = report.targets.reduce((n, t) => n + t.problems.length, 0);
  const output = {
    title: report.verdict === 'pass' ? `pass: ${report.targets.length} target(s) checked` : report.verdict === 'blocked' ? `blocked: ${problems} problem(s)` : 'error: the gate could not check everything',
    summary: truncate(gateMarkdown(report)),
  };
  const conclusion = report.verdict === 'pass' ? ('success' as const) : ('failure' as const);
  const wanted = annotationsOf(report);
  const { data: listed } = await octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: CHECK_NAME, filter: 'latest', per_page: 1 });
  const existing = listed.check_runs[0];
  let id: number;
  let url: string;
  let fresh: Annotation[];
  if (!existing) {
    const { data } = await octokit.rest.checks.create({ owner, repo, name: CHECK_NAME, head_sha: sha, status: 'completed', conclusion, output: { ...output, annotations: wanted.slice(0, ANNOTATIONS_PER_REQUEST) } });
    ({ id, html_url: url } = { id: data.id, html_url: data.html_url ?? '' });
    fresh = wanted;
    await addAnnotations(gh, id, output, wanted.slice(ANNOTATIONS_PER_REQUEST));
    return { id, url, created: true, annotationsAdded: fresh.length };
  }
  id = existing.id;
  url = existing.html_url ?? '';
  const known = new Set<string>();
  for await (const page of octokit.paginate.iterator(octokit.rest.checks.listAnnotations, { owner, repo, check_run_id: id, per_page: 100 })) {
    for (const a of page.data) known.add(annotationKey(a));
  }
  fresh = wanted.filter((a) => !known.has(annotationKey(a)));
  await octokit.rest.checks.update({ owner, repo, check_run_id: id, status: 'completed', conclusion, completed_at: new Date().toISOString(), output: { ...output, annotations: fresh.slice(0, ANNOTATIONS_PER_REQUEST) } });
  await addAnnotations(gh, id, output, fresh.slice(ANNOTATIONS_PER_REQUEST));
  return { id, url, created: false, annotationsAdded: fresh.length };
}

/** Annotations beyond the first 50, 50 per update. */
async function addAnnotations(gh: GitHubRepo, id: number, output: { title: string; summary: string }, rest: Annotation[]): Promise<void> {
  for (let i = 0; i < rest.length; i += ANNOTATIONS_PER_REQUEST) {
    await gh.octokit.rest.checks.update({ owner: gh.owner, repo: gh.repo, check_run_id: id, output: { ...output, annotations: rest.slice(i, i + ANNOTATIONS_PER_REQUEST) } });
  }
}

async function publishComment(gh: GitHubRepo, report: GateReport, pr: number): Promise<NonNullable<Published['comment']>> {
  const { octokit, owner, repo } = gh;
  const body = truncate(`${GATE_COMMENT_MARKER}\n${gateMarkdown(report)}`);
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { owner, repo, issue_number: pr, per_page: 100 })) {
    const mine = page.data.find((c) => c.body?.includes(GATE_COMMENT_MARKER));
    if (!mine) continue;
    if (mine.body === body) return { id: mine.id, url: mine.html_url, created: false, updated: false };
    const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return { id: data.id, url: data.html_url, created: false, updated: true };
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: pr, body });
  return { id: data.id, url: data.html_url, created: true, updated: false };
}

function truncate(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}\n\n… (truncated; run \`driftwarden gate --json\` for the whole report)`;
}
