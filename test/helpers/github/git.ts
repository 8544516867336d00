/**
 * Git plumbing on the fake's bare repository. Every call is synchronous: the fake serves one
 * request at a time, so the repository never sees two writers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Identity {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
}

export interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  size: number | undefined;
  path: string;
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`git ${args.join(' ')} failed (${exitCode}): ${stderr.trim()}`);
  }
}

const ZERO = '0'.repeat(40);

export class BareRepo {
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly dir: string) {
    this.env = {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'GitHub',
      GIT_AUTHOR_EMAIL: 'noreply@github.example',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.example',
    };
  }

  /** Runs git; throws GitError on a non-zero exit. */
  git(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string {
    const result = spawnSync('git', ['-C', this.dir, ...args], {
      env: { ...this.env, ...options.env },
      input: typeof options.input === 'string' ? Buffer.from(options.input, 'utf8') : options.input,
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new GitError(args, result.stderr.toString('utf8'), result.status);
    return result.stdout.toString('utf8').replace(/\n$/, '');
  }

  /** Like git(), but returns null instead of throwing on a non-zero exit. */
  tryGit(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string | null {
    try {
      return this.git(args, options);
    } catch (err) {
      if (err instanceof GitError) return null;
      throw err;
    }
  }

  /** The type of an object ('blob', 'tree', 'commit', 'tag'), or null when it does not exist. */
  objectType(sha: string): string | null {
    if (!/^[0-9a-f]{40}$/.test(sha)) return null;
    return this.tryGit(['cat-file', '-t', sha]);
  }

  writeBlob(content: Buffer): string {
    return this.git(['hash-object', '-w', '--stdin'], { input: content });
  }

  /** The commit a full ref name (`refs/heads/main`) points at, or null. */
  resolveRef(ref: string): string | null {
    if (this.tryGit(['check-ref-format', ref]) === null) return null;
    const out = this.tryGit(['show-ref', '--verify', '--hash', ref]);
    return out ? out.trim() : null;
  }

  branchSha(branch: string): string | null {
    return this.resolveRef(`refs/heads/${branch}`);
  }

  /** The branch HEAD names in the bare repository (GitHub's default branch). */
  defaultBranch(): string {
    return (this.tryGit(['symbolic-ref', '--short', 'HEAD']) ?? 'main').trim();
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    return this.tryGit(['merge-base', '--is-ancestor', ancestor, descendant]) !== null;
  }

  /** Sets a ref, only if it still has `expected` (null: must not exist yet). */
  updateRef(ref: string, sha: string, expected: string | null): void {
    this.git(['update-ref', ref, sha, expected ?? ZERO]);
  }

  deleteRef(ref: string, expected: string): void {
    this.git(['update-ref', '-d', ref, expected]);
  }

  /**
   * Builds a tree from `base` (or nothing) with the given changes, through a temporary index:
   * `read-tree`, `update-index --index-info` (a null sha removes a path), `write-tree`.
   */
  buildTree(base: string | null, changes: { path: string; mode: string; sha: string | null; type: string }[]): string {
    // An empty work tree beside the index: `rm --cached` and `read-tree --prefix` insist on one,
    // and neither writes to it.
    const tmp = mkdtempSync(join(tmpdir(), 'fake-github-index-'));
    mkdirSync(join(tmp, 'wt'));
    const env = { GIT_INDEX_FILE: join(tmp, 'index'), GIT_WORK_TREE: join(tmp, 'wt') };
    try {
      this.git(base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
      for (const change of changes) {
        if (change.sha !== null && change.type === 'tree') {
          // A whole subtree: drop what is under the path, then read the tree in under it.
          this.git(['rm', '--cached', '-r', '-q', '--ignore-unmatch', '--', change.path], { env });
          this.git(['read-tree', `--prefix=${change.path}/`, change.sha], { env });
          continue;
        }
        if (change.sha === null) {
          this.git(['rm', '--cached', '-r', '-q', '--ignore-unmatch', '--', change.path], { env });
          continue;
        }
        this.git(['update-index', '--add', '--replace', '--cacheinfo', `${change.mode},${change.sha},${change.path}`], { env });
      }
      return this.git(['write-tree'], { env });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The top-level entries of a tree. */
  lsTree(tree: string): TreeEntry[] {
    const out = this.git(['ls-tree', '-l', '-z', tree]);
    return out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', path = ''] = line.split('\t');
        const [mode = '', type = '', sha = '', size = '-'] = meta.split(/\s+/);
        return { mode, type, sha, size: size === '-' ? undefined : Number(size), path };
      });
  }

  commitTree(tree: string, parents: string[], message: string, author: Identity, committer: Identity): string {
    return this.git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], {
      input: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: author.date,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: committer.date,
      },
    });
  }

  /** The tree of merging two commits, or null when they conflict (`git merge-tree --write-tree`). */
  mergeTree(ours: string, theirs: string): string | null {
    const out = this.tryGit(['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
    return out === null ? null : (out.split('\n')[0] ?? '').trim();
  }

  treeOf(commit: string): string {
    return this.git(['rev-parse', `${commit}^{tree}`]);
  }
}
