import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { bin, cli } from '../../helpers/cli.js';
import { distribution } from '../../helpers/lb/backends.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { skipWithout } from '../../helpers/lb/ports.js';

describe.skipIf(skipWithout('haproxy'))('driftwarden revert (by hand, any mode)', () => {
  let s: HaproxySetup;
  beforeEach(async () => {
    s = await haproxySetup('alert');
    await s.lb.editAndReload(s.withAlgorithm('random'));
  });
  afterEach(() => s.stop());

  it('without a terminal it refuses unless --yes, and changes nothing', async () => {
    const run = await cli('--config', s.config, 'revert', 'edge');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: not reverting edge: no terminal to ask for confirmation on; pass --yes to revert without asking');
    expect(run.stdout).toMatch(/will apply lb\/haproxy\.cfg@[0-9a-f]{12} \(tip of main\)/);
    expect(run.stdout).toMatch(/^\+    balance roundrobin$/m);
    expect(await s.lb.algo('api')).toBe('unknown');
    const skipped = (await cli('--config', s.config, 'history', '--type', 'revert', '--json')).json().events;
    expect(skipped).toEqual([expect.objectContaining({ type: 'revert.skipped', actor: expect.stringMatching(/^cli:/), reason: expect.stringMatching(/^no terminal/), approvedHash: expect.any(String), liveHash: expect.any(String), data: { refused: 'no-confirmation', manual: true } })]);
  });

  it('on a terminal it asks: "no" refuses and is recorded, "yes" reverts', async () => {
    const asked: string[] = [];
    const run = async (answer: boolean): Promise<number> => main(['--config', s.config, 'revert', 'edge', '--reason', 'INC-7'], { out: () => {}, err: () => {}, color: false, isTty: true, ask: async (q) => (asked.push(q), answer) });
    expect(await run(false)).toBe(1);
    expect(await s.lb.algo('api')).toBe('unknown');
    expect(asked[0]).toMatch(/^Revert edge to lb\/haproxy\.cfg@[0-9a-f]{12}\?$/);
    expect(await run(true)).toBe(0);
    expect(await s.lb.algo('api')).toBe('roundrobin');
    const events = (await cli('--config', s.config, 'history', '--type', 'revert', '--json')).json().events;
    expect(events.map((e: { type: string; data: { refused?: string } | null }) => `${e.type}${e.data?.refused ? `:${e.data.refused}` : ''}`)).toEqual(['revert.skipped:not-confirmed', 'revert.planned', 'revert.applied']);
    expect(events[0].data).toEqual({ refused: 'not-confirmed', manual: true, operatorReason: 'INC-7' });
  });

  it('--dry-run shows the change and applies nothing (checked on the running program)', async () => {
    const run = await cli('--config', s.config, 'revert', 'edge', '--dry-run', '--yes');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('dry run: nothing was applied');
    expect(await s.lb.algo('api')).toBe('unknown');
    expect(readFileSync(s.lb.config, 'utf8')).toContain('balance random');
  });

  it('reverts to the branch tip with --yes, in alert mode too, and records actor and reason', async () => {
    const run = await cli('--config', s.config, 'revert', 'edge', '--yes', '--reason', 'INC-42 restore round robin');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/reverted edge to [0-9a-f]{12}: validate: ok/);
    expect(await s.lb.algo('api')).toBe('roundrobin');
    const events = (await cli('--config', s.config, 'history', '--type', 'revert', '--json')).json().events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['revert.planned', 'revert.applied']);
    expect(events[1]).toMatchObject({ actor: expect.stringMatching(/^cli:/), reason: 'INC-42 restore round robin', approvedHash: expect.any(String), liveHash: expect.any(String) });
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
  });

  it('reverts to an older approved commit with --to, and then reports the target drifted from the tip', async () => {
    const old = s.repo.git('rev-parse', 'HEAD');
    s.repo.commit({ 'lb/haproxy.cfg': s.withAlgorithm('leastconn') }, 'Use leastconn');
    const run = await cli('--config', s.config, 'revert', 'edge', '--to', old.slice(0, 10), '--yes');
    expect(run.code).toBe(0);
    expect(await s.lb.algo('api')).toBe('roundrobin');
    const status = (await cli('--config', s.config, 'status', '--json')).json().targets[0];
    expect(status).toMatchObject({ status: 'drifted', provenance: { kind: 'stale', commit: old } });
  });

  it('refuses a ref outside the approved history unless --force, and records the override', async () => {
    s.repo.branch('experiment');
    s.repo.commit({ 'lb/haproxy.cfg': s.withAlgorithm('first') }, 'experiment');
    s.repo.checkout('main');
    const refused = await cli('--config', s.config, 'revert', 'edge', '--to', 'experiment', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/experiment \([0-9a-f]{12}\) is not in the history of the approved branch main; pass --force/);
    expect(await s.lb.algo('api')).toBe('unknown');
    const skipped = (await cli('--config', s.config, 'history', '--type', 'revert.skipped', '--json')).json().events;
    expect(skipped).toEqual([expect.objectContaining({ data: { refused: 'outside-approved-history', manual: true, to: 'experiment' } })]);
    const forced = await cli('--config', s.config, 'revert', 'edge', '--to', 'experiment', '--yes', '--force', '--json');
    expect(forced.code).toBe(0);
    expect(await s.lb.algo('api')).toBe('first');
    const planned = (await cli('--config', s.config, 'history', '--type', 'revert.planned', '--json')).json().events[0];
    expect(planned.data).toEqual({ overrides: ['outside-approved-history'] });
  });

  it('refuses a version that leaves a pool with no server able to take traffic, unless --force', async () => {
    s.repo.commit({ 'lb/haproxy.cfg': s.approved.replace(/weight 10/g, 'weight 10 disabled') }, 'maintenance on all');
    const run = await cli('--config', s.config, 'revert', 'edge', '--yes');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/leaves backends\.api with no server able to take traffic; pass --force/);
    expect(await distribution(s.url, 2)).toEqual({ s1: 1, s2: 1 });
  });

  it('the binary asks nothing and needs --yes when stdin is not a terminal', () => {
    const run = bin(['--config', s.config, 'revert', 'edge']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pass --yes/);
  });
});
