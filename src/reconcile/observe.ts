import { errorMessage, ParseError } from '../errors.js';
import type { ConfigTree } from '../diff/tree.js';
import type { GitSource, GitState } from '../git/source.js';
import type { Target } from '../config/types.js';
import { getProvider } from '../providers/registry.js';
import type { FileSource, LiveSnapshot } from '../providers/provider.js';
import { posix } from 'node:path';

/** Both sides of one target, read and parsed; or the stage that failed and why. */
export type Observation =
  | {
      kind: 'observed';
      /**
       * The trees compared: of the narrowed texts when `narrowed` (the blocks equal on both
       * sides left out, see diff/narrow.ts), which give the same comparison as the full ones but
       * are not the whole configs. What needs a whole config (the canonical form, the pools of
       * the approved config) asks `full()`.
       */
      approved: ConfigTree;
      live: ConfigTree;
      narrowed: boolean;
      /** The trees of the full texts, parsed on first call when narrowed (otherwise the same trees). */
      full(): Promise<FullTrees>;
      snapshot: LiveSnapshot;
      approvedOrigin: string;
      approvedText: string;
    }
  /** Live is byte for byte the approved text and nothing else differs: in sync without parsing. */
  | { kind: 'identical'; snapshot: LiveSnapshot; approvedOrigin: string; approvedText: string }
  | { kind: 'failed'; stage: 'git' | 'observe' | 'parse-approved' | 'parse-live'; message: string };

export interface FullTrees {
  approved: ConfigTree;
  live: ConfigTree;
}

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
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let snapshot: LiveSnapshot;
  try {
    // The race bounds a provider that does not stop at the signal (a hung socket, a slow program).
    snapshot = await Promise.race([provider.observe(target, { baseDir, signal: controller.signal }), rejectOnAbort(controller.signal)]);
  } catch (err) {
    const message = controller.signal.aborted ? `reading the live config timed out after ${timeoutMs} ms` : errorMessage(err);
    return { kind: 'failed', stage: 'observe', message };
  } finally {
    clearTimeout(timer);
  }
  // Most targets are in sync most of the time: equal bytes need no parsing. Only for one-file
  // configs with no other findings (includes or runtime state could still differ).
  if (!provider.parseAll && snapshot.text === approvedText && !snapshot.findings?.length && !snapshot.files?.size) {
    return { kind: 'identical', snapshot, approvedOrigin, approvedText };
  }
  // Blocks equal on both sides need not be parsed or compared: narrow both texts to what differs.
  const narrowed = provider.narrow?.(approvedText, snapshot.text);
  const parseBoth = async (approvedSource: string, liveSource: string): Promise<{ approved: ConfigTree; live: ConfigTree } | Extract<Observation, { kind: 'failed' }>> => {
    let approved: ConfigTree;
    try {
      approved = provider.parseAll
        ? await provider.parseAll(approvedSource, approvedOrigin, target, gitFiles(git, gitState.commit, target.desired))
        : await provider.parse(approvedSource, approvedOrigin, target);
    } catch (err) {
      return { kind: 'failed', stage: 'parse-approved', message: `approved config does not parse: ${describeParse(err)}` };
    }
    try {
      const live = provider.parseAll
        ? await provider.parseAll(liveSource, snapshot.origin, target, liveFiles(snapshot), new Set(approved.included ?? []))
        : await provider.parse(liveSource, snapshot.origin, target);
      return { approved, live };
    } catch (err) {
      return { kind: 'failed', stage: 'parse-live', message: `live config does not parse: ${describeParse(err)}` };
    }
  };
  const trees = await parseBoth(narrowed?.approved ?? approvedText, narrowed?.live ?? snapshot.text);
  if ('kind' in trees) return trees;
  const liveText = snapshot.text;
  let full: Promise<FullTrees> | undefined;
  return {
    kind: 'observed',
    ...trees,
    snapshot,
    approvedOrigin,
    approvedText,
    narrowed: narrowed !== undefined,
    full: () =>
      (full ??= narrowed
        ? parseBoth(approvedText, liveText).then((t) => {
            if ('kind' in t) throw new Error(t.message);
            return t;
          })
        : Promise.resolve(trees)),
  };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
}

function describeParse(err: unknown): string {
  if (err instanceof ParseError) return err.message;
  // A parser bug must not crash the pass, but it must be visible.
  return `internal parser error (${errorMessage(err)}); please report it`;
}

/** The approved commit's files beside the desired file, as a FileSource. */
export function gitFiles(git: GitSource, commit: string, desired: string): FileSource {
  const base = posix.dirname(desired) === '.' ? '' : posix.dirname(desired);
  let listing: Promise<string[]> | undefined;
  return {
    list: () => (listing ??= git.listFiles(commit, base).then((all) => all.map((p) => (base ? posix.relative(base, p) : p)))),
    read: (rel) => git.readFile(commit, base ? posix.join(base, rel) : rel),
    label: (rel) => `${base ? posix.join(base, rel) : rel}@${commit.slice(0, 12)}`,
  };
}

/** The other live files a provider read (nginx -T), as a FileSource. */
function liveFiles(snapshot: LiveSnapshot): FileSource {
  const files = snapshot.files ?? new Map<string, string>();
  const dir = posix.dirname(snapshot.origin);
  return {
    list: async () => [...files.keys()],
    read: async (rel) => files.get(rel) ?? null,
    label: (rel) => posix.join(dir, rel),
  };
}
