import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../helpers/fixture.js';

describe('driftwarden diff', () => {
  it('prints the semantic changes and a unified diff, exit 2', async () => {
    const s = setup({ live: DRIFTED });
    const run = await cli('--config', s.config, 'diff', 'edge-lb');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('critical backends.api.algorithm: roundrobin -> random');
    expect(run.stdout).toMatch(/^--- approved: lb\/edge\.yaml@[0-9a-f]{12}$/m);
    expect(run.stdout).toMatch(/^\+\+\+ live: live\/edge\.yaml$/m);
    expect(run.stdout).toMatch(/^-    algorithm: roundrobin$/m);
    expect(run.stdout).toMatch(/^\+    algorithm: random$/m);
    expect(run.stdout).not.toMatch(/\x1b\[/); // no colour when not on a TTY
    const json = (await cli('--config', s.config, 'diff', 'edge-lb', '--json')).json();
    expect(json).toMatchObject({ schemaVersion: 1, command: 'diff', target: { name: 'edge-lb', status: 'drifted' }, diff: { kind: 'patch' } });
    // diff is a viewer: it records nothing
    expect((await cli('--config', s.config, 'history', '--json')).json().events).toEqual([]);
  });

  it('exits 0 with no diff for an in-sync target', async () => {
    const s = setup({ live: APPROVED });
    const run = await cli('--config', s.config, 'diff', 'edge-lb', '--json');
    expect(run.code).toBe(0);
    expect(run.json().diff).toBeNull();
  });

  it('reports "diff too large" with both hashes instead of hanging on a pathological pair', async () => {
    const lines = (seed: number) => Array.from({ length: 20_000 }, (_, i) => `line ${(i * 7919 + seed) % 20_011} ${seed}`).join('\n');
    const s = setup({
      approved: lines(1),
      live: lines(2),
      targets: [{ name: 'big', desired: 'big.txt', provider: 'file', path: './live/big.txt' }],
    });
    s.repo.commit({ 'big.txt': lines(1) }, 'big');
    s.writeLive(lines(2), 'big.txt');
    const started = Date.now();
    const run = await cli('--config', s.config, 'diff', 'big', '--json');
    const json = run.json();
    expect(run.code).toBe(2);
    expect(json.diff).toMatchObject({ kind: 'too-large', approvedHash: json.target.approvedHash, liveHash: json.target.liveHash });
    const text = await cli('--config', s.config, 'diff', 'big');
    expect(text.stdout).toMatch(/diff too large to show \(.+\); approved sha256 [0-9a-f]{64}, live sha256 [0-9a-f]{64}/);
    // Not a timing assertion: a bound far above the cap, so a hang fails the test instead of the suite.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
