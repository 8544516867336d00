import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { adminRequest, readRunningConfig } from '../../../src/providers/caddy/admin-api.js';
import { caddyProvider, type CaddyOptions } from '../../../src/providers/caddy/index.js';
import type { TargetBase } from '../../../src/providers/provider.js';
import { cli } from '../../helpers/cli.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { distribution, EchoServers } from '../../helpers/lb/backends.js';
import { CaddyInstance } from '../../helpers/lb/caddy.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const ctx = () => ({ baseDir: '/', signal: AbortSignal.timeout(60_000) });

describe.skipIf(skipWithout('caddy'))('caddy provider against a real Caddy', () => {
  let lb: CaddyInstance;
  let echo: EchoServers;
  let port: number;
  let ports: number[];
  let approved: any;
  let config: string;
  let target: TargetBase & CaddyOptions;
  let repo: TestRepo;

  const policy = 'apps/http/servers/srv0/routes/0/handle/0/load_balancing/selection_policy/policy';

  beforeEach(async () => {
    const dir = tempDir('dw-caddy-');
    echo = new EchoServers();
    ports = await echo.start(['s1', 's2']);
    port = await freePort();
    lb = new CaddyInstance(dir, await freePort());
    approved = {
      admin: lb.admin(),
      apps: { http: { servers: { srv0: { listen: [`127.0.0.1:${port}`], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: ports.map((p) => ({ dial: `127.0.0.1:${p}` })), load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '2s' } }] }] } } } },
    };
    await lb.start(approved);
    repo = new TestRepo(join(dir, 'approved'));
    repo.commit({ 'lb/caddy.json': JSON.stringify(approved, null, 2) }, 'Approve caddy config');
    target = { name: 'edge', desired: 'lb/caddy.json', provider: 'caddy', mode: 'alert', ignore: [], adminApi: lb.adminApi, binary: 'caddy', timeoutMs: 10_000 };
    config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [{ name: 'edge', desired: 'lb/caddy.json', provider: 'caddy', adminApi: lb.adminApi }] }));
  });

  afterEach(async () => {
    lb.stop();
    await echo.stop();
  });

  it('Given the approved config is running, check is in sync (durations in either form are equal)', async () => {
    const run = await cli('--config', config, 'check', '--json');
    expect(run.code).toBe(0);
    expect(run.json().targets[0]).toMatchObject({ status: 'in-sync', live: { origin: `${lb.adminApi}/config/`, facts: { etag: expect.stringMatching(/^"\/config\/ [0-9a-f]+"$/) } } });
  });

  it('When an operator PATCHes the policy through the admin API, check names it critical', async () => {
    await lb.patch(policy, 'first');
    const run = await cli('--config', config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('critical route srv0/0: lb_policy round_robin -> first');
  });

  it('treats a missing load_balancing as Caddy\'s default, random', async () => {
    const cfg = await lb.config();
    delete cfg.apps.http.servers.srv0.routes[0].handle[0].load_balancing;
    await adminRequest(lb.adminApi, 'POST', 'config/', { body: JSON.stringify(cfg) });
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.changes.map((c: { summary: string }) => c.summary)).toContain('route srv0/0: lb_policy round_robin -> random');
  });

  it('apply restores round robin in the running Caddy (verified by traffic)', async () => {
    await lb.patch(policy, 'first');
    expect(await distribution(`http://127.0.0.1:${port}/`, 4)).toEqual({ s1: 4 });
    const outcome = await caddyProvider.apply!(target, JSON.stringify(approved), ctx());
    expect(outcome).toMatchObject({ kind: 'applied', steps: expect.arrayContaining(['verify: GET /config/ shows the approved config']) });
    expect(await distribution(`http://127.0.0.1:${port}/`, 4)).toEqual({ s1: 2, s2: 2 });
    expect((await cli('--config', config, 'check')).code).toBe(0);
  });

  it('applies an approved Caddyfile through caddy adapt, keeping the admin API reachable', async () => {
    const caddyfile = `{\n\tadmin 127.0.0.1:${lb.adminPort}\n}\n\nhttp://127.0.0.1:${port} {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:${ports[0]} 127.0.0.1:${ports[1]} {\n\t\tlb_policy first\n\t}\n}\n`;
    const outcome = await caddyProvider.apply!({ ...target, desired: 'lb/Caddyfile' }, caddyfile, ctx());
    expect(outcome.kind).toBe('applied');
    expect(await distribution(`http://127.0.0.1:${port}/`, 3)).toEqual({ s1: 3 });
    expect((await readRunningConfig(lb.adminApi)).text).toContain('"first"');
  });

  it('never applies a config that caddy validate refuses, and the running config keeps serving', async () => {
    const broken = structuredClone(approved);
    broken.apps.http.servers.srv0.routes[0].handle[0].load_balancing.try_duration = 'ten seconds';
    const outcome = await caddyProvider.apply!(target, JSON.stringify(broken), ctx());
    expect(outcome).toMatchObject({ kind: 'invalid', messages: [{ message: expect.stringMatching(/loading module 'reverse_proxy': decoding module config/) }] });
    expect(await distribution(`http://127.0.0.1:${port}/`, 2)).toEqual({ s1: 1, s2: 1 });
  });

  it('reports a refused load as rolled back by Caddy itself (listener on a taken port)', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const wanted = structuredClone(approved);
      wanted.apps.http.servers.srv0.listen.push(`127.0.0.1:${taken}`);
      const outcome = await caddyProvider.apply!(target, JSON.stringify(wanted), ctx());
      expect(outcome).toMatchObject({ kind: 'rolled-back', stage: 'reload', reason: expect.stringMatching(/Caddy refused the config \(HTTP 5\d\d\) and kept the previous one: .*address already in use/) });
      // Still serving, through the previous (approved) routes.
      const served = await distribution(`http://127.0.0.1:${port}/`, 4);
      expect(Object.keys(served).every((k) => k === 's1' || k === 's2')).toBe(true);
      expect((await lb.config()).apps.http.servers.srv0.listen).toEqual([`127.0.0.1:${port}`]);
    } finally {
      blocker.close();
    }
  });

  it('refuses to overwrite a config that changed since it was read (ETag, HTTP 412)', async () => {
    const { etag } = await readRunningConfig(lb.adminApi);
    await lb.patch(policy, 'first');
    const reply = await adminRequest(lb.adminApi, 'POST', 'config/', { body: JSON.stringify(approved), ifMatch: etag });
    expect(reply.status).toBe(412);
    expect((await lb.config()).apps.http.servers.srv0.routes[0].handle[0].load_balancing.selection_policy.policy).toBe('first');
  });

  it('puts the target in error with what to do when the admin API is down', async () => {
    lb.stop();
    await new Promise((r) => setTimeout(r, 500));
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t).toMatchObject({ status: 'error', error: { stage: 'observe', message: expect.stringMatching(/cannot reach Caddy admin API .*connection refused: is Caddy running/) } });
  });
});
