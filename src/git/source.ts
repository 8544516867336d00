import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitSourceError } from '../errors.js';
import { gitEnv, scrubSecrets } from './auth.js';
import { BlobReader, readBlobs } from './batch.js';
import { fileLogArgs, parseFileLog, plainPath, type FileVersion } from './file-log.js';
import { runGit } from './run.js';

/** Paths in one prefetched log at most (their pathspecs are command-line arguments). */
const MAX_PREFETCHED_PATHS = 256;

/** A fetch under way: its result, and who waits for its process to start. */
interface SyncRun {
  state: Promise<GitState>;
  spawned: boolean;
  onSpawn: (() => void)[];
  stop: AbortController;
}

/** The approved commit a pass compares with, and whether it is fresh. */
export interface GitState {
  commit: string;
  branch: string;
  /** True when the last fetch failed and an older fetched commit is used. */
  stale: boolean;
  /** ISO time of the last successful fetch. */
  fetchedAt: string;
  /** Why the fetch failed, scrubbed of credentials (only when stale). */
  error?: string;
}

export interface GitSourceOptions {
  repo: string;
  branch: string;
  token?: string;
  /** Folder of this repository's cache inside the state folder. */
  cacheDir: string;
  timeoutMs?: number;
}

/**
 * The approved source: a bare clone in the state folder, fetched each pass. Remote branches
 * are kept as `refs/remotes/origin/*`, so provenance can search unmerged branches too.
 */
export class GitSource {
  readonly gitDir: string;
  private readonly git: SimpleGit;
  private readonly env: NodeJS.ProcessEnv;
  /** `commit:path` -> blob id (null: no such file), listed by `prefetch` for a pass. */
  private readonly listed = new Map<string, string | null>();
  private reader: BlobReader | undefined;
  private unmerged: Promise<string[]> | undefined;
  /** A sync begun by `startSync`, not yet joined by `sync`. */
  private started: SyncRun | undefined;
  /** `max\0path` -> the approved branch's versions of the path, from one log of many paths (`prefetchHistory`). */
  private readonly histories = new Map<string, Promise<FileVersion[] | undefined>>();

  constructor(private readonly options: GitSourceOptions) {
    this.gitDir = join(options.cacheDir, 'repo.git');
    this.env = gitEnv(options.token);
    mkdirSync(this.gitDir, { recursive: true });
    this.git = simpleGit({
      baseDir: this.gitDir,
      timeout: { block: options.timeoutMs ?? 60_000 },
      // simple-git refuses GIT_* variables unless named: these carry the prompt guard and the token.
      allowEnvironment: Object.keys(this.env).filter((k) => k.startsWith('GIT_')),
    }).env(this.env);
  }

  /**
   * Whether a clone exists: an earlier fetch finished (it writes `fetched-at` last). Then a fetch
   * starts without `git init`. A first fetch killed part way (the command ended, the process
   * died) may leave a repository that `git init` had not finished: the next one runs `git init`
   * again, which completes it.
   */
  cloned(): boolean {
    return existsSync(this.fetchedFile) && existsSync(join(this.gitDir, 'HEAD'));
  }

  private get fetchedFile(): string {
    return join(this.options.cacheDir, 'fetched-at');
  }

  get branchRef(): string {
    return `refs/remotes/origin/${this.options.branch}`;
  }

  /**
   * Starts the next `sync` now: a command that will fetch starts it as soon as it holds the
   * writer lock, and opens the rest of its runtime (the history database, keys) while git works.
   */
  startSync(): void {
    this.started ??= this.beginSync();
  }

  /**
   * Fetches the approved branch (and the others, for provenance); falls back to the last fetch.
   * `fetching` is called once the fetch process has started: a pass reads the live configs while
   * git works (see EarlyReads for when it starts them). Joins the fetch `startSync` began.
   */
  sync(fetching?: () => void): Promise<GitState> {
    const run = this.started ?? this.beginSync();
    this.started = undefined;
    if (fetching) {
      if (run.spawned) fetching();
      else run.onSpawn.push(fetching);
    }
    return run.state;
  }

  /** Stops a fetch that `startSync` began and no `sync` joined (the command ended before it needed Git). */
  close(): void {
    this.started?.stop.abort();
    this.started = undefined;
  }

  private beginSync(): SyncRun {
    // The process may start before fetchNow returns: `run` exists first, its result is added after.
    const run = { spawned: false, onSpawn: [] as (() => void)[], stop: new AbortController() };
    const state = this.fetchNow(() => {
      run.spawned = true;
      for (const f of run.onSpawn.splice(0)) f();
    }, run.stop.signal);
    // Started ahead, it may fail before anyone awaits it: the one who joins it gets the error.
    state.catch(() => undefined);
    return Object.assign(run, { state });
  }

  private async fetchNow(fetching: () => void, signal: AbortSignal): Promise<GitState> {
    const { fetchedFile } = this;
    const run = { env: this.env, timeoutMs: this.options.timeoutMs ?? 60_000, signal };
    try {
      const refspecs = ['+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'];
      // The first time, the bare repository is created in the same process start as the fetch.
      await runGit(this.gitDir, ['fetch', '--prune', '--quiet', '--no-tags', '--', this.options.repo, ...refspecs], { ...run, onSpawn: fetching, init: !this.cloned() });
    } catch (err) {
      const reason = fetchFailure(scrubSecrets((err as Error).message, this.options.token));
      const commit = await this.resolve(this.branchRef);
      if (!commit || !existsSync(fetchedFile)) {
        throw new GitSourceError(`cannot fetch ${this.displayRepo()} and no earlier fetch exists: ${reason}`, { cause: err });
      }
      return { commit, branch: this.options.branch, stale: true, fetchedAt: readFileSync(fetchedFile, 'utf8').trim(), error: reason };
    }
    this.unmerged = undefined; // the branches may have moved
    const commit = await this.resolve(this.branchRef);
    if (!commit) {
      throw new GitSourceError(`branch ${JSON.stringify(this.options.branch)} not found in ${this.displayRepo()}; check git.branch`);
    }
    const fetchedAt = new Date().toISOString();
    writeFileSync(fetchedFile, fetchedAt);
    return { commit, branch: this.options.branch, stale: false, fetchedAt };
  }

  /** The file's content at a commit, or null when the file does not exist there. */
  async readFile(commit: string, path: string): Promise<string | null> {
    const key = `${commit}:${path}`;
    const id = this.listed.get(key);
    if (id === null) return null;
    if (id !== undefined) {
      const blob = await (this.reader ??= new BlobReader(this.gitDir, this.env)).read(id);
      return blob ? blob.toString('utf8') : null;
    }
    const blobs = await readBlobs(this.gitDir, [key], this.env);
    const blob = blobs.get(key);
    return blob ? blob.toString('utf8') : null;
  }

  /**
   * Lists the blob ids of many files at a commit in one `ls-tree` (a pass looks up every
   * target's approved file). Until `forget()`, blobId answers for them without Git, and
   * readFile reads them through one `cat-file --batch` process shared by the pass: a target
   * whose live file has the approved blob id needs no read at all.
   */
  async prefetch(commit: string, paths: readonly string[]): Promise<void> {
    const wanted = [...new Set(paths)].filter((p) => !this.listed.has(`${commit}:${p}`));
    // `commit:path` lookups walk the tree once per file (slow with thousands in one folder).
    // Up to 500 paths are named to ls-tree; more, and the whole tree is listed once.
    const ids = new Map<string, string>();
    const listing = wanted.length > 500 ? [[]] : wanted.length > 0 ? [wanted] : [];
    for (const paths of listing) {
      const out = await this.raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...paths.map((p) => `:(literal)${p}`)]);
      for (const entry of out.split('\0')) {
        const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
        if (m) ids.set(m[2] as string, m[1] as string);
      }
    }
    // Not in a listing by name: the file does not exist at this commit. Not in the whole tree's
    // listing: left to readFile (which looks it up as `commit:path` and says).
    for (const path of wanted) {
      const id = ids.get(path);
      if (id !== undefined || listing[0]?.length) this.listed.set(`${commit}:${path}`, id ?? null);
    }
  }

  /** The blob id of a file listed by `prefetch` (null: no such file), or undefined when not listed. */
  blobId(commit: string, path: string): string | null | undefined {
    return this.listed.get(`${commit}:${path}`);
  }

  /**
   * The other branches with commits not on the approved branch (where an unapproved version
   * may come from). Listed once until `forget()`: every drifted target of a pass asks.
   */
  unmergedRefs(): Promise<string[]> {
    this.unmerged ??= this.raw(['for-each-ref', '--format=%(refname)', `--no-merged=${this.branchRef}`, 'refs/remotes/origin/']).then((out) =>
      out.split('\n').filter((r) => r && r !== this.branchRef && !r.endsWith('/HEAD')),
    );
    return this.unmerged;
  }

  /**
   * Commits of `revs` that changed `path` (newest first, at most `max` listed), with the blob
   * each wrote.
   */
  async fileLog(revs: readonly string[], path: string, max: number): Promise<FileVersion[]> {
    return parseFileLog(await this.raw(fileLogArgs(revs, [path], max))).versions.get(path) ?? [];
  }

  /**
   * The approved branch's versions of `path` (newest first, at most `max`): from the log that
   * `prefetchHistory` started for it, or a log of its own.
   */
  async fileHistory(path: string, max: number): Promise<FileVersion[]> {
    const prefetched = await this.histories.get(`${max}\0${path}`);
    return prefetched ?? this.fileLog([this.branchRef], path, max);
  }

  /**
   * Starts one log of the approved branch for many paths (the drifted targets of a pass): each
   * asks `fileHistory` for its own part instead of starting a process of its own. When the log
   * stopped at its commit limit before a path's history was complete, that path gets a log of
   * its own; so does every path when the log fails.
   */
  prefetchHistory(paths: readonly string[], max: number): void {
    const wanted = [...new Set(paths)].filter((p) => plainPath(p) && !this.histories.has(`${max}\0${p}`)).slice(0, MAX_PREFETCHED_PATHS);
    if (wanted.length < 2) return; // one path: its own log costs the same
    const limit = max * wanted.length;
    const log = this.raw(fileLogArgs([this.branchRef], wanted, limit)).then(parseFileLog, () => undefined);
    for (const path of wanted) {
      this.histories.set(
        `${max}\0${path}`,
        log.then((l) => {
          const versions = l?.versions.get(path) ?? [];
          return l && (l.commits < limit || versions.length >= max) ? versions.slice(0, max) : undefined;
        }),
      );
    }
  }

  /** Drops what `prefetch` listed and ends the pass's cat-file process (the end of a pass). */
  forget(): void {
    this.unmerged = undefined;
    this.histories.clear();
    this.listed.clear();
    this.reader?.close();
    this.reader = undefined;
  }

  /** Every file path under `dir` ('' for all) at a commit. */
  async listFiles(commit: string, dir: string): Promise<string[]> {
    const out = await this.raw(['ls-tree', '-r', '--name-only', '-z', commit, '--', ...(dir ? [dir] : [])]);
    return out.split('\0').filter(Boolean);
  }

  async readBlobs(ids: readonly string[]): Promise<Map<string, Buffer>> {
    return readBlobs(this.gitDir, ids, this.env);
  }

  /** A commit, tag or branch name as given by a person: the commit it names, or undefined. */
  async resolveRef(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined;
    return (await this.resolve(`refs/remotes/origin/${ref}`)) ?? (await this.resolve(`refs/tags/${ref}`)) ?? (await this.resolve(ref));
  }

  /** Whether `commit` is in the approved branch's history (reachable from its tip). */
  async inApprovedHistory(commit: string): Promise<boolean> {
    // `merge-base --is-ancestor` answers by exit code alone, which simple-git does not report.
    try {
      return (await this.raw(['merge-base', commit, this.branchRef])).trim() === commit;
    } catch {
      return false;
    }
  }

  /** Full commit id of a ref, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    try {
      return (await this.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** `git` run inside the bare clone; messages are scrubbed of credentials. */
  async raw(args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      throw new GitSourceError(scrubSecrets((err as Error).message, this.options.token), { cause: err });
    }
  }

  displayRepo(): string {
    return scrubSecrets(this.options.repo, this.options.token);
  }
}

/**
 * Git's reason for a failed fetch in one line: its `fatal:`/`error:` lines first (they say what
 * is wrong: no such repository, authentication failed), else the last lines; spaces collapsed.
 */
export function fetchFailure(message: string): string {
  const lines = message.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean);
  const told = lines.filter((l) => /^(fatal|error):/i.test(l));
  return (told.length > 0 ? told.slice(0, 3) : lines.slice(-3)).join(' ');
}
