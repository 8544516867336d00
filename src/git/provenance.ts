import type { FileVersion } from './file-log.js';
import type { GitSource } from './source.js';

/** Where the live content came from, as far as Git knows. */
export type Provenance =
  | ({ kind: 'stale'; commit: string; date: string; subject: string } & SearchInfo)
  | ({ kind: 'unapproved'; branch: string; commit: string; date: string; subject: string } & SearchInfo)
  | ({ kind: 'unknown-origin' } & SearchInfo);

interface SearchInfo {
  /** Commits examined. */
  searched: number;
  /** True when the search stopped at the limit before the history ended. */
  truncated: boolean;
}

export interface ProvenanceQuery {
  path: string;
  /** Canonical form of the live content. */
  liveCanonical: string;
  /** Canonical form of a file version (the same parser as the live side); throws when unparsable. */
  canonicalOf(text: string, commit: string): string | Promise<string>;
  /** The approved tip, which is known to differ and is skipped. */
  tip: string;
  limit?: number;
}

const DEFAULT_LIMIT = 1_000;

/**
 * Starts one history log for the approved files of targets a pass is about to search
 * provenance for (see GitSource.prefetchHistory): their searches then share it.
 */
export function prefetchProvenance(git: GitSource, paths: readonly string[]): void {
  if (paths.length === 0) return;
  // findProvenance asks for one more than the limit, plus the tip; then for the unmerged branches.
  git.prefetchHistory(paths, DEFAULT_LIMIT + 2);
  git.unmergedRefs().catch(() => undefined); // each search asks again (and reports) on its own
}

/**
 * Searches the approved branch's history of the file (newest first), then unmerged branches,
 * for a version whose canonical form equals the live one. Bounded by `limit` commits in all.
 */
export async function findProvenance(git: GitSource, q: ProvenanceQuery): Promise<Provenance> {
  const limit = q.limit ?? DEFAULT_LIMIT;
  let searched = 0;
  let truncated = false;
  const cache = new Map<string, boolean>();

  const matches = async (versions: FileVersion[]): Promise<FileVersion | undefined> => {
    const unknown = [...new Set(versions.map((v) => v.blob).filter((b) => !cache.has(b)))];
    const blobs = await git.readBlobs(unknown);
    for (const id of unknown) {
      const blob = blobs.get(id);
      const commit = versions.find((v) => v.blob === id)?.commit as string;
      let same = false;
      if (blob) {
        try {
          same = (await q.canonicalOf(blob.toString('utf8'), commit)) === q.liveCanonical;
        } catch {
          same = false; // an old version that does not parse cannot be the live one
        }
      }
      cache.set(id, same);
    }
    return versions.find((v) => cache.get(v.blob));
  };

  // One more than the limit (plus the tip, which is skipped) tells whether the history goes on.
  const approved = await git.fileHistory(q.path, limit + 2);
  const older = approved.filter((v) => v.commit !== q.tip);
  if (older.length > limit) truncated = true;
  const earlier = older.slice(0, limit);
  searched += earlier.length;
  const stale = await matches(earlier);
  if (stale) return { kind: 'stale', commit: stale.commit, date: stale.date, subject: stale.subject, searched, truncated };

  const refs = await git.unmergedRefs();
  for (const ref of refs) {
    const budget = limit - searched;
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const versions = await git.fileLog([ref, '--not', git.branchRef], q.path, budget + 1);
    if (versions.length > budget) truncated = true;
    const slice = versions.slice(0, budget);
    searched += slice.length;
    const hit = await matches(slice);
    if (hit) {
      const branch = ref.replace(/^refs\/remotes\/origin\//, '');
      return { kind: 'unapproved', branch, commit: hit.commit, date: hit.date, subject: hit.subject, searched, truncated };
    }
  }
  return { kind: 'unknown-origin', searched, truncated };
}

/** One line for people: where the live content came from. */
export function provenanceLine(p: Provenance): string {
  const cut = p.truncated ? ` (searched the newest ${p.searched} commits only)` : '';
  switch (p.kind) {
    case 'stale':
      return `stale: equals the approved file at an earlier commit ${p.commit.slice(0, 12)} (${p.date}, "${p.subject}")${cut}`;
    case 'unapproved':
      return `unapproved: equals the file on unmerged branch ${p.branch} at ${p.commit.slice(0, 12)} (${p.date}, "${p.subject}")${cut}`;
    case 'unknown-origin':
      return `unknown-origin: matches no version in Git (a hand edit?); searched ${p.searched} earlier version(s) and the unmerged branches${p.truncated ? ', cut at the limit' : ''}`;
  }
}
