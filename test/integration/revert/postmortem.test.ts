import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cli } from '../../helpers/cli.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { distribution, EchoServers } from '../../helpers/lb/backends.js';
import { CaddyInstance } from '../../helpers/lb/caddy.js';
import { haproxySetup, type HaproxySetup } from '../../helpers/lb/haproxy-setup.js';
import { NginxInstance } from '../../helpers/lb/nginx.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const types = async (config: string) => (await cli('--config', config, 'history', '--json', '--limit', '100')).json().events.map((e: { type: string }) => e.type);

describe('the postmortem, end to end: one reconcile in revert mode restores round robin', () => {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it.skipIf(skipWithout('haproxy'))('HAProxy', async () => {
    const s: HaproxySetup = await haproxySetup();
    stops.push(s.stop);
    s.repo.branch('test/random-lb');
    s.repo.commit({ 'lb/haproxy.cfg': s.withAlgorithm('random') }, 'TEST ONLY: random balancing');
    s.repo.checkout('main');
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
    await s.lb.editAndReload(s.withAlgorithm('random'));

    const run = await cli('--config', s.config, 'reconcile');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/action: reverted to [0-9a-f]{12}/);
    expect(await s.lb.algo('api')).toBe('roundrobin');
    expect(await distribution(s.url, 4)).toEqual({ s1: 2, s2: 2 });
    expect(await types(s.config)).toEqual(['target.in-sync', 'drift.detected', 'revert.planned', 'revert.applied', 'drift.resolved']);
    const detected = (await cli('--config', s.config, 'history', '--type', 'drift.detected', '--json')).json().events[0];
    expect(detected).toMatchObject({ severity: 'critical', provenance: { kind: 'unapproved', branch: 'test/random-lb' } });
  });

  it.skipIf(skipWithout('nginx'))('nginx', async () => {
    const dir = tempDir('dw-revert-nginx-');
    const echo = new EchoServers();
    const ports = await echo.start(['s1', 's2']);
    const port = await freePort();
    const lb = new NginxInstance(dir);
    stops.push(async () => { lb.stop(); await echo.stop(); });
    const approved = lb.wrap(`    upstream app {\n        server 127.0.0.1:${ports[0]};\n        server 127.0.0.1:${ports[1]};\n    }\n    server {\n        listen 127.0.0.1:${port};\n        location / { proxy_pass http://app; }\n    }\n`);
    await lb.start(approved);
    new TestRepo(join(dir, 'approved')).commit({ 'lb/nginx.conf': approved }, 'Approve');
    const config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [{ name: 'web', desired: 'lb/nginx.conf', provider: 'nginx', mode: 'revert', config: lb.config, prefix: dir, errorLog: lb.errorLog }] }));
    await lb.editAndReload(approved.replace('upstream app {', 'upstream app {\n        hash $request_uri;'));

    const run = await cli('--config', config, 'reconcile');
    expect(run.code).toBe(0);
    expect(readFileSync(lb.config, 'utf8')).toBe(approved);
    expect(await distribution(`http://127.0.0.1:${port}/same`, 4)).toEqual({ s1: 2, s2: 2 });
    expect(await types(config)).toEqual(['drift.detected', 'revert.planned', 'revert.applied', 'drift.resolved']);
  });

  it.skipIf(skipWithout('caddy'))('Caddy', async () => {
    const dir = tempDir('dw-revert-caddy-');
    const echo = new EchoServers();
    const ports = await echo.start(['s1', 's2']);
    const port = await freePort();
    const lb = new CaddyInstance(dir, await freePort());
    stops.push(async () => { lb.stop(); await echo.stop(); });
    const approved = { admin: lb.admin(), apps: { http: { servers: { srv0: { listen: [`127.0.0.1:${port}`], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: ports.map((p) => ({ dial: `127.0.0.1:${p}` })), load_balancing: { selection_policy: { policy: 'round_robin' } } }] }] } } } } };
    await lb.start(approved);
    new TestRepo(join(dir, 'approved')).commit({ 'lb/caddy.json': JSON.stringify(approved, null, 2) }, 'Approve');
    const config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [{ name: 'edge', desired: 'lb/caddy.json', provider: 'caddy', mode: 'revert', adminApi: lb.adminApi }] }));
    await lb.patch('apps/http/servers/srv0/routes/0/handle/0/load_balancing/selection_policy/policy', 'first');

    const run = await cli('--config', config, 'reconcile');
    expect(run.code).toBe(0);
    expect(await distribution(`http://127.0.0.1:${port}/`, 4)).toEqual({ s1: 2, s2: 2 });
    expect(await types(config)).toEqual(['drift.detected', 'revert.planned', 'revert.applied', 'drift.resolved']);
  });
});
