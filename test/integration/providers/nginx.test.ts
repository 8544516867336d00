import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { nginxProvider, type NginxOptions } from '../../../src/providers/nginx/index.js';
import type { TargetBase } from '../../../src/providers/provider.js';
import { cli } from '../../helpers/cli.js';
import { TestRepo } from '../../helpers/git-repo.js';
import { distribution, EchoServers } from '../../helpers/lb/backends.js';
import { NginxInstance } from '../../helpers/lb/nginx.js';
import { freePort, skipWithout } from '../../helpers/lb/ports.js';
import { tempDir } from '../../helpers/tmp.js';

const ctx = () => ({ baseDir: '/', signal: AbortSignal.timeout(60_000) });

describe.skipIf(skipWithout('nginx'))('nginx provider against a real nginx', () => {
  let lb: NginxInstance;
  let echo: EchoServers;
  let port: number;
  let approved: string;
  let config: string;
  let target: TargetBase & NginxOptions;
  let ports: number[];

  beforeEach(async () => {
    const dir = tempDir('dw-nginx-');
    echo = new EchoServers();
    ports = await echo.start(['s1', 's2']);
    port = await freePort();
    lb = new NginxInstance(dir);
    approved = lb.wrap(`    upstream app {\n        server 127.0.0.1:${ports[0]} weight=5;\n        server 127.0.0.1:${ports[1]} weight=5;\n    }\n    server {\n        listen 127.0.0.1:${port};\n        location / { proxy_pass http://app; }\n    }\n`);
    await lb.start(approved);
    new TestRepo(join(dir, 'approved')).commit({ 'lb/nginx.conf': approved }, 'Approve nginx config');
    const options = { config: lb.config, prefix: dir, errorLog: lb.errorLog };
    target = { name: 'web', desired: 'lb/nginx.conf', provider: 'nginx', mode: 'alert', ignore: [], ...options, binary: 'nginx', verifyTimeoutMs: 10_000 };
    config = join(dir, 'driftwarden.yaml');
    writeFileSync(config, stringify({ git: { repo: './approved' }, targets: [{ name: 'web', desired: 'lb/nginx.conf', provider: 'nginx', ...options }] }));
  });

  afterEach(async () => {
    lb.stop();
    await echo.stop();
  });

  it('Given the approved config is live, check is in sync and says honestly what it compared', async () => {
    const run = await cli('--config', config, 'check', '--json');
    expect(run.code).toBe(0);
    const t = run.json().targets[0];
    expect(t.status).toBe('in-sync');
    expect(t.live.facts).toMatchObject({ note: expect.stringMatching(/cannot show the configuration its workers loaded/), masterPid: expect.any(Number), masterStartedAt: expect.any(String) });
  });

  it('When an operator switches the upstream to ip_hash and changes a weight, check explains both in nginx words', async () => {
    await lb.editAndReload(approved.replace('upstream app {', 'upstream app {\n        ip_hash;').replace(`${ports[1]} weight=5`, `${ports[1]} weight=1`));
    const run = await cli('--config', config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/critical upstream app: method round_robin -> ip_hash {2}\(.*nginx\.conf:\d+\)/);
    expect(run.stdout).toContain(`high     upstream app: server 127.0.0.1:${ports[1]} weight 5 -> 1`);
  });

  it('reports every server marked down as a critical empty pool', async () => {
    await lb.editAndReload(approved.replace(`${ports[0]} weight=5`, `${ports[0]} weight=5 down`).replace(`${ports[1]} weight=5`, `${ports[1]} weight=5 down`));
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t.severity).toBe('critical');
    expect(t.changes.map((c: { summary: string }) => c.summary)).toContain('upstream app: no server can take traffic (every server drained, down or at weight 0)');
  });

  it('apply restores round robin in the running nginx (verified by traffic) and keeps the previous file', async () => {
    await lb.editAndReload(approved.replace('upstream app {', 'upstream app {\n        hash $request_uri;'));
    const skewed = await distribution(`http://127.0.0.1:${port}/same`, 6);
    expect(Object.values(skewed)).toEqual([6]);
    const outcome = await nginxProvider.apply!(target, approved, ctx());
    expect(outcome).toMatchObject({ kind: 'applied' });
    expect(readFileSync(lb.config, 'utf8')).toBe(approved);
    expect(readFileSync(`${lb.config}.driftwarden.prev`, 'utf8')).toContain('hash $request_uri');
    expect(await distribution(`http://127.0.0.1:${port}/same`, 6)).toEqual({ s1: 3, s2: 3 });
    expect((await cli('--config', config, 'check')).code).toBe(0);
  });

  it('never applies a config that nginx -t refuses; the error names the approved file and line', async () => {
    const broken = approved.replace('location / {', 'location / {\n            frobnicate on;');
    const outcome = await nginxProvider.apply!(target, broken, ctx());
    const line = broken.split('\n').findIndex((l) => l.includes('frobnicate')) + 1;
    expect(outcome).toMatchObject({ kind: 'invalid', messages: [{ line, message: `[emerg] unknown directive "frobnicate" in lb/nginx.conf:${line}` }] });
    expect(readFileSync(lb.config, 'utf8')).toBe(approved);
    expect(await distribution(`http://127.0.0.1:${port}/`, 2)).toEqual({ s1: 1, s2: 1 });
  });

  it('rolls back when the reload does not take (valid config, port taken) and nginx keeps serving', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const wanted = approved.replace(`listen 127.0.0.1:${port};`, `listen 127.0.0.1:${port};\n        listen 127.0.0.1:${taken};`);
      const outcome = await nginxProvider.apply!({ ...target, verifyTimeoutMs: 3_000 }, wanted, ctx());
      expect(outcome).toMatchObject({ kind: 'rolled-back', stage: 'reload', reason: expect.stringMatching(/kept its old workers.*bind\(\) to 127\.0\.0\.1:\d+ failed/) });
      expect(readFileSync(lb.config, 'utf8')).toBe(approved);
      expect(await distribution(`http://127.0.0.1:${port}/`, 2)).toEqual({ s1: 1, s2: 1 });
    } finally {
      blocker.close();
    }
  });

  it('follows includes that Git also has, reporting drift in an included file with its own path and line', async () => {
    const dir = lb.dir;
    const upstream = `upstream app {\n    server 127.0.0.1:${ports[0]};\n    server 127.0.0.1:${ports[1]};\n}\n`;
    const main = lb.wrap(`    include conf.d/*.conf;\n    include /etc/nginx/mime.types;\n    server {\n        listen 127.0.0.1:${port};\n        location / { proxy_pass http://app; }\n    }\n`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'conf', 'conf.d'), { recursive: true });
    writeFileSync(join(dir, 'conf', 'conf.d', 'app.conf'), upstream);
    await lb.editAndReload(main);
    new TestRepo(join(dir, 'approved')).commit({ 'lb/nginx.conf': main, 'lb/conf.d/app.conf': upstream }, 'Split config');
    expect((await cli('--config', config, 'check')).code).toBe(0);

    writeFileSync(join(dir, 'conf', 'conf.d', 'app.conf'), upstream.replace('upstream app {', 'upstream app {\n    least_conn;'));
    await lb.editAndReload(main);
    const run = await cli('--config', config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`critical upstream app: method round_robin -> least_conn  (${join(dir, 'conf', 'conf.d', 'app.conf')}:2)`);
  });

  it('puts the live config in error with nginx\'s own message when the file on disk is broken', async () => {
    writeFileSync(lb.config, approved.replace('location / {', 'location / {\n            frobnicate on;'));
    const t = (await cli('--config', config, 'check', '--json')).json().targets[0];
    expect(t).toMatchObject({ status: 'error', error: { stage: 'observe', message: expect.stringMatching(/nginx -T refused the live config on disk.*unknown directive "frobnicate" in .*nginx\.conf:\d+/) } });
  });
});
