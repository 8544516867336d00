import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../helpers/fixture.js';

describe('driftwarden history', () => {
  it('filters by target, type, since and limit, and verifies an intact chain', async () => {
    const s = setup();
    await cli('--config', s.config, 'check');
    s.writeLive(DRIFTED);
    await cli('--config', s.config, 'check');
    s.writeLive(APPROVED);
    await cli('--config', s.config, 'check');
    const all = (await cli('--config', s.config, 'history', '--json')).json().events;
    expect(all).toHaveLength(3);
    expect(all[1]).toMatchObject({ id: 2, type: 'drift.detected', target: 'edge-lb', severity: 'critical', actor: expect.stringMatching(/^cli:/) });
    expect(all[1].changes[0]).toMatchObject({ path: 'backends.api.algorithm' });
    expect(all[1].provenance).toMatchObject({ kind: 'unknown-origin' });
    expect(all[1].approvedHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli('--config', s.config, 'history', '--type', 'drift', '--json')).json().events.map((e: { id: number }) => e.id)).toEqual([2, 3]);
    expect((await cli('--config', s.config, 'history', '--limit', '1', '--json')).json().events.map((e: { id: number }) => e.id)).toEqual([3]);
    expect((await cli('--config', s.config, 'history', '--since', '1h', '--json')).json().events).toHaveLength(3);
    expect((await cli('--config', s.config, 'history', '--target', 'other', '--json')).json().events).toEqual([]);
    const text = await cli('--config', s.config, 'history');
    expect(text.stdout).toMatch(/^#2 {2}\S+ {2}drift\.detected {2}edge-lb {2}critical {2}@[0-9a-f]{12} {2}cli:/m);

    const verify = await cli('--config', s.config, 'history', 'verify');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^history intact: 3 event\(s\), head [0-9a-f]{64}$/);
  });

  it('verify exits 1 naming the first event changed by another SQLite client', async () => {
    const s = setup({ live: DRIFTED });
    await cli('--config', s.config, 'check');
    s.writeLive(APPROVED);
    await cli('--config', s.config, 'check');
    const db = new Database(join(s.dir, '.driftwarden', 'history.db'));
    db.exec('DROP TRIGGER events_no_update');
    db.prepare("UPDATE events SET severity = 'low' WHERE id = 1").run();
    db.close();
    const run = await cli('--config', s.config, 'history', 'verify');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('history is NOT intact: event 1: content does not match its hash (checked 1 event(s))');
    expect((await cli('--config', s.config, 'history', 'verify', '--json')).json()).toMatchObject({ ok: false, badId: 1 });
  });

  it('rejects a bad --since or --limit with what it expects', async () => {
    const s = setup();
    const since = await cli('--config', s.config, 'history', '--since', 'yesterday');
    expect(since.code).toBe(1);
    expect(since.stderr).toMatch(/--since takes a duration such as 2h, 30m, 7d, or an ISO time/);
    expect((await cli('--config', s.config, 'history', '--limit', '0')).stderr).toMatch(/limit must be a whole number from 1 to 10000/);
  });
});
