import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../src/diff/severity.js';
import { parseFormat } from '../../src/formats/index.js';
import { compareConfigs } from '../../src/reconcile/compare.js';
import { cli } from '../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../helpers/fixture.js';

describe('driftwarden check', () => {
  it('Given a live file equal to Git (comments and formatting aside), check exits 0 and records one event', async () => {
    const s = setup({ live: `${APPROVED.replace('# approved edge config', '# edited comment')}\n\n` });
    const first = await cli('--config', s.config, 'check');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/edge-lb\s+in sync/);
    expect(first.stdout).toMatch(/^approved: main @ [0-9a-f]{12} \(fetched /m);

    const again = await cli('--config', s.config, 'check', '--json');
    expect(again.code).toBe(0);
    const events = (await cli('--config', s.config, 'history', '--json')).json().events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['target.in-sync']);
    const status = (await cli('--config', s.config, 'status', '--json')).json();
    expect(status.targets[0]).toMatchObject({ name: 'edge-lb', status: 'in-sync', since: events[0].time });
    expect(status.targets[0].lastChecked >= events[0].time).toBe(true);
  });

  it('Given the postmortem drift, check exits 2 and explains it semantically with severity and line', async () => {
    const s = setup({ live: DRIFTED });
    const run = await cli('--config', s.config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/edge-lb\s+DRIFTED\s+critical, 2 change\(s\)/);
    expect(run.stdout).toContain('critical backends.api.algorithm: roundrobin -> random  (live/edge.yaml:4)');
    expect(run.stdout).toContain('high     backends.api.servers.api-2.weight: 10 -> 50  (live/edge.yaml:11)');
    expect(run.stdout).toMatch(/provenance: unknown-origin: matches no version in Git/);
    expect(run.stdout).toContain('0 in sync, 1 drifted, 0 error(s)');

    const json = (await cli('--config', s.config, 'check', '--json')).json();
    expect(json).toMatchObject({ schemaVersion: 1, command: 'check', summary: { inSync: 0, drifted: 1, error: 0 }, git: { branch: 'main', stale: false } });
    const target = json.targets[0];
    expect(target).toMatchObject({
      name: 'edge-lb',
      provider: 'file',
      mode: 'alert',
      status: 'drifted',
      severity: 'critical',
      commit: s.repo.git('rev-parse', 'HEAD'),
      provenance: { kind: 'unknown-origin', truncated: false },
      error: null,
      event: null, // the same drift seen again records nothing new
      live: { origin: 'live/edge.yaml' },
    });
    expect(target.approvedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(target.changes[0]).toEqual({ path: 'backends.api.algorithm', kind: 'changed', approved: 'roundrobin', live: 'random', severity: 'critical', line: 4, summary: 'backends.api.algorithm: roundrobin -> random' });
  });

  it('records detected, changed and resolved transitions, and only those', async () => {
    const s = setup();
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
    s.writeLive(DRIFTED);
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    s.writeLive(DRIFTED.replace('weight: 50', 'weight: 60'));
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    s.writeLive(APPROVED);
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
    const types = (await cli('--config', s.config, 'history', '--json')).json().events.map((e: { type: string }) => e.type);
    expect(types).toEqual(['target.in-sync', 'drift.detected', 'drift.changed', 'drift.resolved']);
    const status = await cli('--config', s.config, 'status');
    expect(status.stdout).toMatch(/edge-lb\s+in-sync since/);
  });

  it('after an upgrade from a version before fingerprint v2, an open drift stays the same drift; a different one is still a change', async () => {
    const s = setup({ live: DRIFTED });
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    // The fingerprint the version before v2 gave this drift (its algorithm: legacyFingerprint, pinned by a golden test).
    const legacy = compareConfigs(parseFormat(APPROVED, 'a', 'yaml'), parseFormat(DRIFTED, 'b', 'yaml'), { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor: new Redactor(Buffer.alloc(32)) }).legacyFingerprint?.();
    const db = join(s.dir, '.driftwarden', 'history.db');
    /** Rewrites the stored state as that version left it: its fingerprint, and no fingerprintVersion. */
    const storeAsBefore = (fingerprint: string): string => {
      const h = new Database(db);
      const state = JSON.parse((h.prepare('SELECT json FROM target_state WHERE name = ?').get('edge-lb') as { json: string }).json);
      const current = state.fingerprint as string;
      expect(state.fingerprintVersion).toBe(2);
      delete state.fingerprintVersion;
      state.fingerprint = fingerprint;
      h.prepare('UPDATE target_state SET json = ? WHERE name = ?').run(JSON.stringify(state), 'edge-lb');
      h.close();
      return current;
    };
    const v2 = storeAsBefore(legacy as string);
    expect(legacy).toMatch(/^[0-9a-f]{16}$/);
    expect(legacy).not.toBe(v2);
    const again = (await cli('--config', s.config, 'check', '--json')).json();
    expect(again.targets[0]).toMatchObject({ status: 'drifted', fingerprint: v2, event: null });
    const types = async () => (await cli('--config', s.config, 'history', '--json')).json().events.map((e: { type: string }) => e.type);
    expect(await types()).toEqual(['drift.detected']);
    const status = (await cli('--config', s.config, 'status', '--json')).json();
    expect(status.targets[0]).toMatchObject({ status: 'drifted', fingerprint: v2 });
    // A stored fingerprint that is not this drift's, in either scheme, is a changed drift.
    storeAsBefore('0123456789abcdef');
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    expect(await types()).toEqual(['drift.detected', 'drift.changed']);
  });

  it('reports errors per target with what to do, and still checks the other targets (exit 1)', async () => {
    const s = setup({
      targets: [
        { name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml' },
        { name: 'gone', desired: 'lb/edge.yaml', provider: 'file', path: './live/missing.yaml' },
        { name: 'broken', desired: 'lb/edge.yaml', provider: 'file', path: './live/broken.yaml' },
        { name: 'nodesired', desired: 'lb/nope.yaml', provider: 'file', path: './live/edge.yaml' },
      ],
    });
    s.writeLive('backends:\n  api:\n    algorithm: [roundrobin\n', 'broken.yaml');
    const run = await cli('--config', s.config, 'check', '--json');
    expect(run.code).toBe(1);
    const byName = Object.fromEntries(run.json().targets.map((t: { name: string }) => [t.name, t]));
    expect(byName['edge-lb'].status).toBe('in-sync');
    expect(byName.gone.error).toMatchObject({ stage: 'observe', message: expect.stringMatching(/live\/missing\.yaml: the live file does not exist; check the target's `path`/) });
    expect(byName.broken.error).toMatchObject({ stage: 'parse-live', message: expect.stringMatching(/live config does not parse: live\/broken\.yaml:\d+: invalid YAML/) });
    expect(byName.nodesired.error.message).toMatch(/approved file lb\/nope\.yaml does not exist on branch main/);
    const events = (await cli('--config', s.config, 'history', '--type', 'observe', '--json')).json().events;
    expect(events.map((e: { target: string }) => e.target).sort()).toEqual(['broken', 'gone', 'nodesired']);
  });

  it('checks only the named targets and rejects unknown names with the known ones', async () => {
    const s = setup();
    const bad = await cli('--config', s.config, 'check', 'edge', '--json');
    expect(bad.code).toBe(1);
    expect(bad.json().error).toMatchObject({ code: 'usage', message: 'unknown target "edge"; known targets: edge-lb' });
    expect((await cli('--config', s.config, 'check', 'edge-lb')).code).toBe(0);
  });

  it('exits 1 with file, line and field for a bad config', async () => {
    const s = setup({ extra: { schedul: 'x' } });
    const run = await cli('--config', s.config, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: invalid configuration \(1 problem\(s\)\):\n {2}.*driftwarden\.yaml:\d+:\d+: schedul: unknown key/);
    expect(run.stdout).toBe('');
  });

  it('never treats a missing Git repository as "no config"', async () => {
    const s = setup();
    rmSync(join(s.dir, 'approved'), { recursive: true, force: true });
    const run = await cli('--config', s.config, 'check');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: cannot fetch .*approved and no earlier fetch exists: fatal: '.*approved' does not appear to be a git repository/);
    expect(run.stderr).not.toMatch(/ {2}/);
  });

  it('recovers from a first fetch killed while git init ran (a repository with only HEAD)', async () => {
    const s = setup();
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
    // What a kill part way through the first `git init` leaves: HEAD, and nothing else; no fetch recorded.
    const [cache] = readdirSync(join(s.dir, '.driftwarden', 'git')).map((id) => join(s.dir, '.driftwarden', 'git', id));
    const repo = join(cache as string, 'repo.git');
    for (const entry of readdirSync(repo)) if (entry !== 'HEAD') rmSync(join(repo, entry), { recursive: true, force: true });
    rmSync(join(cache as string, 'fetched-at'));
    const run = await cli('--config', s.config, 'check');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('honours ignore globs and user severity rules from the config', async () => {
    const s = setup({
      live: DRIFTED.replace('algorithm: random', 'algorithm: roundrobin'),
      targets: [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml', ignore: ['backends.*.servers.*.weight'] }],
    });
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
    writeFileSync(s.config, `${(await import('node:fs')).readFileSync(s.config, 'utf8')}severity:\n  - path: backends.*.servers.*.address\n    severity: critical\n`);
    s.writeLive(APPROVED.replace('10.0.0.1:8080', '10.0.0.9:8080'));
    const json = (await cli('--config', s.config, 'check', '--json')).json();
    expect(json.targets[0].changes[0]).toMatchObject({ path: 'backends.api.servers.api-1.address', severity: 'critical' });
  });
});
