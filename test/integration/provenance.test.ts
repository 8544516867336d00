import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseFormat } from '../../src/formats/index.js';
import { findProvenance } from '../../src/git/provenance.js';
import { GitSource } from '../../src/git/source.js';
import { cli } from '../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../helpers/fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { TestRepo } from '../helpers/git-repo.js';

describe('provenance of drifted live content', () => {
  it('stale: the live file equals an earlier approved version (name the commit, date and subject)', async () => {
    const s = setup();
    const old = s.repo.git('rev-parse', 'HEAD');
    s.repo.commit({ 'lb/edge.yaml': APPROVED.replace('weight: 10', 'weight: 20') }, 'Raise api-1 weight');
    // The live file is the old version, reformatted: provenance compares canonical forms.
    s.writeLive(`# old copy\n${APPROVED}`);
    const t = (await cli('--config', s.config, 'check', '--json')).json().targets[0];
    expect(t.provenance).toMatchObject({ kind: 'stale', commit: old, subject: 'Approve edge config', searched: 1, truncated: false });
    expect(t.provenance.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    const text = await cli('--config', s.config, 'check');
    expect(text.stdout).toContain(`provenance: stale: equals the approved file at an earlier commit ${old.slice(0, 12)}`);
  });

  it('unapproved: the live file equals the tip of an unmerged branch (the postmortem case)', async () => {
    const s = setup({ live: DRIFTED });
    s.repo.branch('test/random-lb');
    const commit = s.repo.commit({ 'lb/edge.yaml': DRIFTED }, 'TEST ONLY: random balancing');
    s.repo.checkout('main');
    const t = (await cli('--config', s.config, 'check', '--json')).json().targets[0];
    expect(t.provenance).toMatchObject({ kind: 'unapproved', branch: 'test/random-lb', commit, subject: 'TEST ONLY: random balancing' });
  });

  it('unapproved: also found in the history of an unmerged branch, not only at its tip', async () => {
    const s = setup({ live: DRIFTED });
    s.repo.branch('experiments');
    const commit = s.repo.commit({ 'lb/edge.yaml': DRIFTED }, 'try random');
    s.repo.commit({ 'lb/edge.yaml': DRIFTED.replace('weight: 50', 'weight: 70') }, 'more weight');
    s.repo.checkout('main');
    const t = (await cli('--config', s.config, 'check', '--json')).json().targets[0];
    expect(t.provenance).toMatchObject({ kind: 'unapproved', branch: 'experiments', commit });
  });

  it('a merged branch does not count as unapproved', async () => {
    const s = setup({ live: DRIFTED });
    s.repo.branch('feature');
    s.repo.commit({ 'lb/edge.yaml': DRIFTED }, 'random');
    s.repo.checkout('main');
    s.repo.git('merge', '--quiet', '--no-ff', '-m', 'merge feature', 'feature');
    s.repo.commit({ 'lb/edge.yaml': APPROVED }, 'back to round robin');
    const t = (await cli('--config', s.config, 'check', '--json')).json().targets[0];
    expect(t.provenance.kind).toBe('stale');
  });

  it('unknown-origin: a hand edit matches nothing in Git', async () => {
    const s = setup({ live: APPROVED.replace('10.0.0.2', '10.9.9.9') });
    const t = (await cli('--config', s.config, 'check', '--json')).json().targets[0];
    expect(t.provenance).toEqual({ kind: 'unknown-origin', searched: 0, truncated: false });
  });

  it('bounds the search and says when it was cut', async () => {
    const dir = tempDir();
    const repo = new TestRepo(join(dir, 'repo'));
    for (let i = 0; i < 6; i++) repo.commit({ 'f.yaml': `v: ${i}\n` }, `v${i}`);
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'cache') });
    const state = await git.sync();
    const canonicalOf = (t: string) => parseFormat(t, 'f.yaml', 'yaml').canonical;
    const found = await findProvenance(git, { path: 'f.yaml', liveCanonical: canonicalOf('v: 0\n'), canonicalOf, tip: state.commit, limit: 3 });
    expect(found).toEqual({ kind: 'unknown-origin', searched: 3, truncated: true });
    const near = await findProvenance(git, { path: 'f.yaml', liveCanonical: canonicalOf('v: 4\n'), canonicalOf, tip: state.commit, limit: 3 });
    expect(near).toMatchObject({ kind: 'stale', subject: 'v4', truncated: true });
  });

  it('one log for many drifted files gives each file the versions its own log gives', async () => {
    const dir = tempDir();
    const repo = new TestRepo(join(dir, 'repo'));
    repo.commit({ 'lb/a.yaml': 'v: 0\n', 'lb/b.yaml': 'w: 0\n', 'lb/c d.yaml': 'x: 0\n' }, 'start');
    // A side branch that changes a and b, merged back after main changed a again.
    repo.branch('side');
    repo.commit({ 'lb/a.yaml': 'v: side\n', 'lb/b.yaml': 'w: side\n' }, 'side change');
    repo.checkout('main');
    repo.commit({ 'lb/a.yaml': 'v: 1\n' }, 'main change');
    repo.git('merge', '--quiet', '--no-ff', '-X', 'ours', '-m', 'merge side', 'side');
    for (let i = 2; i < 5; i++) repo.commit({ 'lb/a.yaml': `v: ${i}\n`, 'lb/c d.yaml': `x: ${i}\n` }, `step ${i}`);
    repo.git('rm', '--quiet', 'lb/b.yaml');
    repo.commit({}, 'drop b');
    const paths = ['lb/a.yaml', 'lb/b.yaml', 'lb/c d.yaml', 'lb/none.yaml'];
    const git = new GitSource({ repo: repo.dir, branch: 'main', cacheDir: join(dir, 'cache') });
    await git.sync();
    const alone = await Promise.all(paths.map((p) => git.fileLog([git.branchRef], p, 100)));
    // Every commit that changed a, the side branch's too (merged, though its change was not kept).
    expect(alone[0]?.map((v) => v.subject)).toEqual(['step 4', 'step 3', 'step 2', 'main change', 'side change', 'start']);
    expect(alone[1]?.map((v) => v.subject)).toEqual(['side change', 'start']); // its deletion is no version
    expect(alone[3]).toEqual([]);
    const own = vi.spyOn(git, 'fileLog');
    for (const max of [100, 2]) {
      own.mockClear();
      git.prefetchHistory(paths, max);
      // At most `max` versions each (a log of its own counts commits, deletions and merges included).
      expect(await Promise.all(paths.map((p) => git.fileHistory(p, max)))).toEqual(alone.map((v) => v.slice(0, max)));
      // The shared log answered every path; cut at its limit (2 x 4 commits), the paths it could
      // not answer fully (none.yaml: no version in the 8 newest commits) had logs of their own.
      expect(own.mock.calls.map((c) => c[1])).toEqual(max === 100 ? [] : ['lb/none.yaml']);
    }
    git.forget();
  });
});
