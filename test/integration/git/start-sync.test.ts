import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitSource } from '../../../src/git/source.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { tempDir } from '../../helpers/tmp.js';

function repoWithFiles(dir: string): TestRepo {
  const repo = new TestRepo(join(dir, 'repo'));
  repo.commit(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`lb/f${i}.yaml`, `v: ${i}\n`])), 'approve');
  return repo;
}

describe('a fetch started before the pass', () => {
  it('is the one the pass joins, and its start is told to a late listener at once', async () => {
    const dir = tempDir();
    const repo = repoWithFiles(dir);
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'cache') });
    git.startSync();
    git.startSync(); // once
    await new Promise((r) => setTimeout(r, 50));
    let told = 0;
    const state = await git.sync(() => told++);
    expect(told).toBe(1);
    expect(state).toMatchObject({ commit: repo.git('rev-parse', 'HEAD'), stale: false });
    // Joined: the next sync fetches anew (and tells its listener too).
    expect((await git.sync(() => told++)).commit).toBe(state.commit);
    expect(told).toBe(2);
    git.close();
  });

  it('is stopped when the command ends without it, leaving no lock behind: the next fetch works', async () => {
    const dir = tempDir();
    const repo = repoWithFiles(dir);
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'cache') });
    git.startSync();
    git.close();
    // Given time to finish, a fetch left running would have recorded its success.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(existsSync(join(dir, 'cache', 'fetched-at'))).toBe(false);
    const again = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'cache') });
    expect(await again.sync()).toMatchObject({ commit: repo.git('rev-parse', 'HEAD'), stale: false });
    const gitDir = join(dir, 'cache', 'repo.git');
    expect(existsSync(gitDir)).toBe(true);
    expect(readdirSync(gitDir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
});
