import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobReader } from '../../../src/git/batch.js';
import { GitSource } from '../../../src/git/source.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { tempDir } from '../../helpers/tmp.js';

/** A repository with a small, an empty and a big (many pipe chunks) file. */
function repoWithFiles() {
  const dir = tempDir();
  const repo = new TestRepo(join(dir, 'approved'));
  const big = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n');
  const files = { 'lb/a.yaml': 'a: 1\n', 'lb/empty.yaml': '', 'lb/big.cfg': big, 'lb/ünïcode.yaml': 'name: café\n' };
  repo.commit(files, 'files');
  const id = (path: string) => repo.git('rev-parse', `HEAD:${path}`);
  return { dir, repo, files, id };
}

describe('BlobReader: one cat-file process for a pass', () => {
  it('answers concurrent reads in order: small, empty, big, missing, a tree, and the same blob twice', async () => {
    const { repo, files, id } = repoWithFiles();
    const reader = new BlobReader(join(repo.dir, '.git'), process.env);
    try {
      const missing = '0'.repeat(40);
      const tree = repo.git('rev-parse', 'HEAD^{tree}');
      const got = await Promise.all([id('lb/a.yaml'), id('lb/empty.yaml'), id('lb/big.cfg'), missing, tree, id('lb/a.yaml')].map((x) => reader.read(x)));
      expect(got.map((b) => (b === null ? null : b.toString('utf8')))).toEqual([files['lb/a.yaml'], '', files['lb/big.cfg'], null, null, files['lb/a.yaml']]);
    } finally {
      reader.close();
    }
  });

  it('reads again after close (a new process), and fails clearly for a folder that is not a repository', async () => {
    const { repo, files, id } = repoWithFiles();
    const reader = new BlobReader(join(repo.dir, '.git'), process.env);
    expect((await reader.read(id('lb/a.yaml')))?.toString()).toBe(files['lb/a.yaml']);
    reader.close();
    expect((await reader.read(id('lb/big.cfg')))?.toString()).toBe(files['lb/big.cfg']);
    reader.close();
    const nowhere = new BlobReader(join(tempDir(), 'no-repo'), process.env);
    await expect(nowhere.read(id('lb/a.yaml'))).rejects.toThrow(/git cat-file exited 128/);
  });
});

describe('GitSource.prefetch: blob ids in one ls-tree, contents only when asked', () => {
  it('lists ids (null for a missing file), reads listed files through the batch, and forgets at the end of a pass', async () => {
    const { dir, repo, files, id } = repoWithFiles();
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'state') });
    const { commit } = await git.sync();
    await git.prefetch(commit, ['lb/a.yaml', 'lb/big.cfg', 'lb/ünïcode.yaml', 'lb/gone.yaml', 'lb']);
    expect(git.blobId(commit, 'lb/a.yaml')).toBe(id('lb/a.yaml'));
    expect(git.blobId(commit, 'lb/ünïcode.yaml')).toBe(id('lb/ünïcode.yaml'));
    expect(git.blobId(commit, 'lb/gone.yaml')).toBeNull();
    expect(git.blobId(commit, 'lb')).toBeNull(); // a folder is not a config file
    expect(git.blobId(commit, 'lb/empty.yaml')).toBeUndefined(); // not listed
    expect(await git.readFile(commit, 'lb/big.cfg')).toBe(files['lb/big.cfg']);
    expect(await git.readFile(commit, 'lb/ünïcode.yaml')).toBe(files['lb/ünïcode.yaml']);
    expect(await git.readFile(commit, 'lb/gone.yaml')).toBeNull();
    expect(await git.readFile(commit, 'lb/empty.yaml')).toBe(''); // read on its own
    git.forget();
    expect(git.blobId(commit, 'lb/a.yaml')).toBeUndefined();
    expect(await git.readFile(commit, 'lb/a.yaml')).toBe(files['lb/a.yaml']);
  });

  it('lists the whole tree once for more than 500 paths; one not there is then read (and found missing) by name', async () => {
    const { dir, repo, files, id } = repoWithFiles();
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'state') });
    const { commit } = await git.sync();
    const gone = Array.from({ length: 500 }, (_, i) => `lb/gone-${i}.yaml`);
    await git.prefetch(commit, ['lb/a.yaml', 'lb/big.cfg', ...gone]);
    expect(git.blobId(commit, 'lb/a.yaml')).toBe(id('lb/a.yaml'));
    expect(git.blobId(commit, 'lb/big.cfg')).toBe(id('lb/big.cfg'));
    expect(git.blobId(commit, 'lb/gone-7.yaml')).toBeUndefined();
    expect(await git.readFile(commit, 'lb/gone-7.yaml')).toBeNull();
    expect(await git.readFile(commit, 'lb/big.cfg')).toBe(files['lb/big.cfg']);
    git.forget();
  });
});
