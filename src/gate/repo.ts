import { posix } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitSourceError, UsageError } from '../errors.js';
import type { FileSource } from '../providers/provider.js';

/**
 * The config repository as `driftwarden gate` reads it: a local checkout (a CI job's, or an
 * operator's), never fetched or written. Refs are whatever that checkout knows.
 */
export class GateRepo {
  private readonly git: SimpleGit;

  constructor(readonly dir: string) {
    this.git = simpleGit({ baseDir: dir, timeout: { block: 60_000 } });
  }

  /** The commit a ref names, or a UsageError that says which ref and what to do. */
  async commit(ref: string, what: string): Promise<string> {
    if (ref.startsWith('-')) throw new UsageError(`${what} ${JSON.stringify(ref)} is not a ref`);
    try {
      const out = (await this.git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
      if (out) return out;
    } catch {
      /* reported below */
    }
    throw new UsageError(`${what} ${JSON.stringify(ref)} is not a commit in ${this.dir} (in CI, check out with fetch-depth: 0 so the base branch is there)`);
  }

  /** Whether a ref names a commit here. */
  async has(ref: string): Promise<boolean> {
    try {
      return (await this.git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() !== '';
    } catch {
      return false;
    }
  }

  /** Where head's history left base's: what a pull request's diff starts from. */
  async mergeBase(base: string, head: string): Promise<string> {
    try {
      return (await this.git.raw(['merge-base', base, head])).trim();
    } catch (err) {
      throw new GitSourceError(`${base.slice(0, 12)} and ${head.slice(0, 12)} share no history: ${(err as Error).message.trim()}`, { cause: err });
    }
  }

  /** Paths that differ between two commits (renames as a deletion and an addition). */
  async changedFiles(from: string, to: string): Promise<string[]> {
    const out = await this.git.raw(['diff', '--name-only', '--no-renames', '-z', from, to, '--']);
    return out.split('\0').filter(Boolean);
  }

  async readFile(commit: string, path: string): Promise<string | null> {
    try {
      return await this.git.raw(['cat-file', 'blob', `${commit}:${path}`]);
    } catch {
      return null;
    }
  }

  async listFiles(commit: string, dir: string): Promise<string[]> {
    const out = await this.git.raw(['ls-tree', '-r', '--name-only', '-z', commit, '--', ...(dir ? [dir] : [])]);
    return out.split('\0').filter(Boolean);
  }

  /** The files beside `desired` at a commit (nginx includes), as a FileSource. */
  files(commit: string, desired: string): FileSource {
    const base = posix.dirname(desired) === '.' ? '' : posix.dirname(desired);
    let listing: Promise<string[]> | undefined;
    return {
      list: () => (listing ??= this.listFiles(commit, base).then((all) => all.map((p) => (base ? posix.relative(base, p) : p)))),
      read: (rel) => this.readFile(commit, base ? posix.join(base, rel) : rel),
      label: (rel) => `${base ? posix.join(base, rel) : rel}@${commit.slice(0, 12)}`,
    };
  }
}
