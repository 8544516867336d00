import { errorMessage, ParseError } from '../errors.js';
import type { ConfigTree } from '../diff/tree.js';
import type { GitSource, GitState } from '../git/source.js';
import type { Target } from '../config/types.js';
import { getProvider } from '../providers/registry.js';
import type { LiveSnapshot } from '../providers/provider.js';

/** Both sides of one target, read and parsed; or the stage that failed and why. */
export type Observation =
  | { kind: 'observed'; approved: ConfigTree; live: ConfigTree; snapshot: LiveSnapshot; approvedOrigin: string }
  | { kind: 'failed'; stage: 'git' | 'observe' | 'parse-approved' | 'parse-live'; message: string };

export const DEFAULT_OBSERVE_TIMEOUT_MS = 30_000;

/** Reads the approved file at the commit and the live config; never writes anything. */
export async function observeTarget(target: Target, git: GitSource, gitState: GitState, baseDir: string, timeoutMs = DEFAULT_OBSERVE_TIMEOUT_MS): Promise<Observation> {
  const provider = getProvider(target.provider);
  const approvedOrigin = `${target.desired}@${gitState.commit.slice(0, 12)}`;
  let approvedText: string | null;
  try {
    approvedText = await git.readFile(gitState.commit, target.desired);
  } catch (err) {
    return { kind: 'failed', stage: 'git', message: `cannot read ${approvedOrigin}: ${errorMessage(err)}` };
  }
  if (approvedText === null) {
    return {
      kind: 'failed',
      stage: 'git',
      message: `approved file ${target.desired} does not exist on branch ${gitState.branch} at ${gitState.commit.slice(0, 12)}; check the target's \`desired\` path`,
    };
  }
  let approved: ConfigTree;
  try {
    approved = await provider.parse(approvedText, approvedOrigin, target);
  } catch (err) {
    return { kind: 'failed', stage: 'parse-approved', message: `approved config does not parse: ${describeParse(err)}` };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let snapshot: LiveSnapshot;
  try {
    snapshot = await provider.observe(target, { baseDir, signal: controller.signal });
  } catch (err) {
    const message = controller.signal.aborted ? `reading the live config timed out after ${timeoutMs} ms` : errorMessage(err);
    return { kind: 'failed', stage: 'observe', message };
  } finally {
    clearTimeout(timer);
  }
  try {
    const live = await provider.parse(snapshot.text, snapshot.origin, target);
    return { kind: 'observed', approved, live, snapshot, approvedOrigin };
  } catch (err) {
    return { kind: 'failed', stage: 'parse-live', message: `live config does not parse: ${describeParse(err)}` };
  }
}

function describeParse(err: unknown): string {
  if (err instanceof ParseError) return err.message;
  // A parser bug must not crash the pass, but it must be visible.
  return `internal parser error (${errorMessage(err)}); please report it`;
}
