import { TreeCache } from '../cache/tree-cache.js';
import { errorMessage, ParseError } from '../errors.js';
import type { ConfigTree } from '../diff/tree.js';
import { gitBlobId } from '../git/blob-id.js';
import type { GitSource, GitState } from '../git/source.js';
import type { Target } from '../config/types.js';
import { getProvider } from '../providers/registry.js';
import type { FileSource, LiveSnapshot, Provider } from '../providers/provider.js';
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
export async function observeTarget(target: Target, git: GitSource, gitState: GitState, baseDir: string, timeoutMs = DEFAULT_OBSERVE_TIMEOUT_MS, cache = TreeCache.off(), early?: Promise<LiveRead>): Promise<Observation> {
  const provider = getProvider(target.provider);
  const approvedOrigin = `${target.desired}@${gitState.commit.slice(0, 12)}`;
  const missing = (): Observation => ({
    kind: 'failed',
    stage: 'git',
    message: `approved file ${target.desired} does not exist on branch ${gitState.branch} at ${gitState.commit.slice(0, 12)}; check the target's \`desired\` path`,
  });
  // Listed by the pass (one ls-tree): the approved file is read only if the live one differs.
  const blobId = git.blobId(gitState.commit, target.desired);
  if (blobId === null) return missing();
  let approvedText: string | null = null;
  if (blobId === undefined) {
    const read = await readApproved(git, gitState.commit, target.desired, approvedOrigin);
    if (typeof read !== 'string') return read ?? missing();
    approvedText = read;
  }
  const observed = await (early ?? observeLive(provider, target, baseDir, timeoutMs));
  if (observed.kind === 'failed') return observed;
  const { snapshot } = observed;
  // Most targets are in sync most of the time: equal bytes need no parsing. Equal blob ids are
  // equal bytes: the approved file need not even be read.
  const single = oneFile(provider, snapshot);
  if (single && approvedText === null && (observed.blobId ?? gitBlobId(snapshot.text)) === blobId) {
    return { kind: 'identical', snapshot, approvedOrigin, approvedText: snapshot.text };
  }
  if (approvedText === null) {
    const read = await readApproved(git, gitState.commit, target.desired, approvedOrigin);
    if (typeof read !== 'string') return read ?? missing();
    approvedText = read;
  }
  if (single && snapshot.text === approvedText) {
    return { kind: 'identical', snapshot, approvedOrigin, approvedText };
  }
  // Blocks equal on both sides need not be parsed or compared: narrow both texts to what differs.
  const narrowed = provider.narrow?.(approvedText, snapshot.text);
  const parseBoth = async (approvedSource: string, liveSource: string): Promise<{ approved: ConfigTree; live: ConfigTree } | Extract<Observation, { kind: 'failed' }>> => {
    let approved: ConfigTree;
    try {
      approved = provider.parseAll
        ? await provider.parseAll(approvedSource, approvedOrigin, target, gitFiles(git, gitState.commit, target.desired))
        : await cache.parse(provider, approvedSource, approvedOrigin, target);
    } catch (err) {
      return { kind: 'failed', stage: 'parse-approved', message: `approved config does not parse: ${describeParse(err)}` };
    }
    try {
      const live = provider.parseAll
        ? await provider.parseAll(liveSource, snapshot.origin, target, liveFiles(snapshot), new Set(approved.included ?? []))
        : await cache.parse(provider, liveSource, snapshot.origin, target);
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

/** The approved text; null when the file does not exist; a failed observation when Git cannot say. */
async function readApproved(git: GitSource, commit: string, path: string, origin: string): Promise<string | null | Observation> {
  try {
    return await git.readFile(commit, path);
  } catch (err) {
    return { kind: 'failed', stage: 'git', message: `cannot read ${origin}: ${errorMessage(err)}` };
  }
}

/**
 * A one-file config with no other findings: its bytes equal to the approved file's mean in sync
 * (with includes or runtime state, something else could still differ).
 */
export function oneFile(provider: Provider, snapshot: LiveSnapshot): boolean {
  return !provider.parseAll && !snapshot.findings?.length && !snapshot.files?.size;
}

/** A live config as read (with its Git blob id, when computed ahead), or why it could not be. */
export type LiveRead = { kind: 'ok'; snapshot: LiveSnapshot; blobId?: string } | Extract<Observation, { kind: 'failed' }>;

/** The provider's live snapshot, bounded by `timeoutMs`. Never rejects. */
export async function observeLive(provider: Provider, target: Target, baseDir: string, timeoutMs: number): Promise<LiveRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // The race bounds a provider that does not stop at the signal (a hung socket, a slow program).
    const snapshot = await Promise.race([provider.observe(target, { baseDir, signal: controller.signal }), rejectOnAbort(controller.signal)]);
    return { kind: 'ok', snapshot };
  } catch (err) {
    const message = controller.signal.aborted ? `reading the live config timed out after ${timeoutMs} ms` : errorMessage(err);
    return { kind: 'failed', stage: 'observe', message };
  } finally {
    clearTimeout(timer);
  }
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
