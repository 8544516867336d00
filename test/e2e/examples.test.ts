import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { caddyProvider } from '../../src/providers/caddy/index.js';
import { haproxyProvider } from '../../src/providers/haproxy/index.js';
import { runtimeCommand } from '../../src/providers/haproxy/runtime-api.js';
import { nginxProvider } from '../../src/providers/nginx/index.js';
import type { Provider } from '../../src/providers/provider.js';
import { cli } from '../helpers/cli.js';
import { TestRepo } from '../helpers/git-repo.js';
import { distribution, EchoServers } from '../helpers/lb/backends.js';
import { CaddyInstance } from '../helpers/lb/caddy.js';
import { HaproxyInstance } from '../helpers/lb/haproxy.js';
import { NginxInstance } from '../helpers/lb/nginx.js';
import { freePort, skipWithout } from '../helpers/lb/ports.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Runs examples/{haproxy,nginx,caddy} as their README.md says: start the load balancer from a
 * copy of the approved config, commit approved/, check (in sync), drift it as an operator would,
 * check (critical drift), put the approved config back with `driftwarden revert`, check again.
 * The examples' fixed ports are replaced with free ones (and the echo backends' ports) in a copy.
 */

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

/** Stops what the current test started (by pid), whatever step it failed at. */
const stops: (() => void)[] = [];

interface Running {
  /** What an operator does to the running load balancer: the postmortem's algorithm change. */
  drift(): Promise<void>;
}

interface Example {
  name: 'haproxy' | 'nginx' | 'caddy';
  binary: string;
  provider: Provider<any>;
  /** The approved file inside approved/. */
  desired: string;
  /** The example's fixed ports: the load balancer's, its two backends', any other (admin). */
  lbPort: number;
  backendPorts: [number, number];
  otherPorts: number[];
  /** Starts the load balancer from `run/` in the copied example folder, as README.md does. */
  start(dir: string, ports: Map<number, number>): Promise<Running>;
  /** How `check` names the algorithm change, in the provider's words. */
  critical: string;
}

/** Copies examples/<name> (without what a hand run leaves behind) and rewrites its fixed ports. */
function copyExample(name: string, ports: Map<number, number>): string {
  const dir = join(tempDir(`dw-example-${name}-`), name);
  cpSync(join(EXAMPLES, name), dir, { recursive: true, filter: (src) => !/[/\\](\.git|run|\.driftwarden)$/.test(src) });
  const fixed = new RegExp(`\\b(${[...ports.keys()].join('|')})\\b`, 'g');
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = join(dir, rel);
    if (!statSync(file).isFile()) continue;
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(fixed, (p) => String(ports.get(Number(p)))));
  }
  return dir;
}

/** Step 2 of each README: the live config is a copy of the approved one, in run/. */
function deploy(dir: string, desired: string, live: string): void {
  mkdirSync(join(dir, 'run', live, '..'), { recursive: true });
  cpSync(join(dir, 'approved', desired), join(dir, 'run', live));
}

async function until(what: string, probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await probe().then(() => true, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up`);
}

const haproxy: Example = {
  name: 'haproxy',
  binary: 'haproxy',
  provider: haproxyProvider,
  desired: 'lb/haproxy.cfg',
  lbPort: 18080,
  backendPorts: [18081, 18082],
  otherPorts: [],
  critical: 'backend api: balance roundrobin -> random',
  async start(dir) {
    deploy(dir, 'lb/haproxy.cfg', 'haproxy.cfg');
    const lb = new HaproxyInstance(join(dir, 'run')); // same file and socket names as the example
    stops.push(() => lb.stop()); // the master, by the pid in run/haproxy.pid
    // (cd run && haproxy -D -S unix@master.sock -f haproxy.cfg): relative paths start in run/.
    execFileSync('haproxy', ['-D', '-S', 'unix@master.sock', '-f', 'haproxy.cfg'], { cwd: lb.dir, stdio: 'pipe' });
    await until('haproxy', () => runtimeCommand(lb.adminSock, 'show info', 1_000));
    return {
      // sed -i 's/balance roundrobin/balance random/' run/haproxy.cfg; reload on the master socket
      drift: () => lb.editAndReload(readFileSync(lb.config, 'utf8').replace('balance roundrobin', 'balance random')),
    };
  },
};

const nginx: Example = {
  name: 'nginx',
  binary: 'nginx',
  provider: nginxProvider,
  desired: 'lb/nginx.conf',
  lbPort: 18180,
  backendPorts: [18181, 18182],
  otherPorts: [],
  critical: 'upstream app: method round_robin -> ip_hash',
  async start(dir) {
    const lb = new NginxInstance(join(dir, 'run')); // run/conf/nginx.conf, run/temp, run/nginx.pid, run/error.log
    stops.push(() => lb.stop());
    deploy(dir, 'lb/nginx.conf', 'conf/nginx.conf');
    await lb.start(readFileSync(lb.config, 'utf8')); // nginx -p run -c conf/nginx.conf -e error.log
    return {
      // add `ip_hash;` to the upstream, then nginx -s reload
      drift: () => lb.editAndReload(readFileSync(lb.config, 'utf8').replace('upstream app {', 'upstream app {\n        ip_hash;')),
    };
  },
};

const caddy: Example = {
  name: 'caddy',
  binary: 'caddy',
  provider: caddyProvider,
  desired: 'lb/Caddyfile',
  lbPort: 18280,
  backendPorts: [18281, 18282],
  otherPorts: [12019],
  critical: 'route srv0/0-0: lb_policy round_robin -> first',
  async start(dir, ports) {
    deploy(dir, 'lb/Caddyfile', 'Caddyfile');
    const lb = new CaddyInstance(join(dir, 'run'), ports.get(12019) as number); // HOME and XDG_* in run/home
    stops.push(() => lb.stop());
    const r = spawnSync('caddy', ['start', '--config', 'run/Caddyfile', '--adapter', 'caddyfile', '--pidfile', 'run/caddy.pid'], { cwd: dir, env: lb.env, stdio: 'ignore', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`caddy start failed (${r.status})`);
    await until('caddy', () => lb.config());
    return {
      // curl -X PATCH .../selection_policy/policy -d '"first"'
      drift: () => lb.patch('apps/http/servers/srv0/routes/0/handle/0/routes/0/handle/0/load_balancing/selection_policy/policy', 'first'),
    };
  },
};

for (const example of [haproxy, nginx, caddy]) {
  describe.skipIf(skipWithout(example.binary))(`examples/${example.name}`, () => {
    let echo: EchoServers | undefined;

    afterEach(async () => {
      while (stops.length) (stops.pop() as () => void)();
      await echo?.stop();
      echo = undefined;
    });

    it(`${example.name} runs as its README says: in sync, a critical algorithm drift, revert puts round robin back`, async () => {
      echo = new EchoServers();
      const [b1, b2] = await echo.start(['backend-1', 'backend-2']);
      const lbPort = await freePort();
      const ports = new Map<number, number>([[example.lbPort, lbPort], [example.backendPorts[0], b1 as number], [example.backendPorts[1], b2 as number]]);
      for (const p of example.otherPorts) ports.set(p, await freePort());
      const dir = copyExample(example.name, ports);
      const yaml = join(dir, 'driftwarden.yaml');
      new TestRepo(join(dir, 'approved')).commit({}, `Approve the ${example.name} config`); // git init, add, commit
      const approved = readFileSync(join(dir, 'approved', example.desired), 'utf8');
      const url = `http://127.0.0.1:${lbPort}/`;

      const running = await example.start(dir, ports);
      expect(await distribution(url, 4)).toEqual({ 'backend-1': 2, 'backend-2': 2 });
      let run = await cli('--config', yaml, 'check', '--json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.json().targets[0]).toMatchObject({ provider: example.name, status: 'in-sync', error: null });

      await running.drift();
      run = await cli('--config', yaml, 'check', '--json');
      expect(run.code).toBe(2);
      const drifted = run.json().targets[0];
      expect(drifted).toMatchObject({ status: 'drifted', severity: 'critical' });
      expect(drifted.changes).toContainEqual(expect.objectContaining({ summary: example.critical, severity: 'critical' }));
      const text = await cli('--config', yaml, 'check'); // what README.md shows
      expect(text.code).toBe(2);
      expect(text.stdout).toContain(`critical ${example.critical}`);

      // As the README does it: driftwarden revert TARGET --yes --reason ...
      const name = loadConfig(yaml).targets[0]?.name ?? '';
      const reverted = await cli('--config', yaml, 'revert', name, '--yes', '--reason', 'undo the test-only algorithm');
      expect(reverted.code, reverted.stderr).toBe(0);
      expect(reverted.stdout).toMatch(new RegExp(`reverted ${name} to [0-9a-f]{12}`));
      run = await cli('--config', yaml, 'check', '--json');
      expect(run.code, run.stdout).toBe(0);
      expect(run.json().targets[0].status).toBe('in-sync');
      expect(await distribution(url, 6)).toEqual({ 'backend-1': 3, 'backend-2': 3 });
    });
  });
}
