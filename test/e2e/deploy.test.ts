import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { TestRepo } from '../helpers/git-repo.js';
import { freePort } from '../helpers/lb/ports.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The deployment artefacts: the Dockerfile (checked, then its build replayed without Docker, since
 * no Docker engine runs where the tests do), the Kubernetes manifests and the systemd unit.
 */

const ROOT = join(import.meta.dirname, '..', '..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions grouped by stage; `\` continues a line, comments (also inside a continuation) are dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = pending + line;
    pending = '';
    const [, word = '', args = ''] = /^(\S+)\s*(.*)$/.exec(full) ?? [];
    const keyword = word.toUpperCase();
    if (keyword === 'FROM') {
      const [base = '', as, name] = words(args).filter((w) => !w.startsWith('--'));
      stages.push({ base, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile:${start}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: start });
  });
  if (pending) throw new Error('Dockerfile ends inside a line continuation');
  return stages;
}

function words(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}

/** The arguments of an instruction in exec form (JSON array) or shell form. */
function argv(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : words(args);
}

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** ENV of a stage, including what it inherits from earlier stages it is built FROM. */
function stageEnv(stages: Stage[], stage: Stage): Record<string, string> {
  const parent = stages.find((s) => s.name === stage.base && s !== stage);
  const env: Record<string, string> = parent ? stageEnv(stages, parent) : {};
  for (const { args } of all(stage, 'ENV')) {
    const parts = words(args);
    if (parts[0] && !parts[0].includes('=')) env[parts[0]] = parts.slice(1).join(' ');
    else for (const p of parts) env[p.slice(0, p.indexOf('='))] = p.slice(p.indexOf('=') + 1);
  }
  return env;
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const final = dockerfile.at(-1) as Stage;
const INSTALLS = /\bapt(?:-get)?\s+install\b[^;&|]*/g;

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command without a shell; rejects with the end of its output when it fails. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ code, output });
      else reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} exited ${code}:\n${output.slice(-4_000)}`));
    });
  });
}

function exited(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe('Dockerfile', () => {
  it('builds in stages and runs a non-root, health-checked service with git and no load balancer', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(final.base).toMatch(/^node:20-bookworm-slim\b/);

    const user = all(final, 'USER').at(-1)?.args.split(':')[0];
    expect(user, 'the final stage sets USER').toBeDefined();
    expect(['root', '0']).not.toContain(user);

    const healthcheck = all(final, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).toContain('9464');

    const finalInstalls = all(final, 'RUN').flatMap((r) => r.args.match(INSTALLS) ?? []);
    expect(finalInstalls.join(' ')).toMatch(/\bgit\b/);
    expect(finalInstalls.join(' ')).toMatch(/\btini\b/);
    for (const stage of dockerfile) {
      for (const r of all(stage, 'RUN')) expect(r.args.match(INSTALLS)?.join(' ') ?? '', `line ${r.line}`).not.toMatch(/\b(haproxy|nginx|caddy)\b/);
    }

    expect(all(final, 'EXPOSE').flatMap((e) => words(e.args))).toContain('9464');
    expect(argv(all(final, 'VOLUME').map((v) => v.args).join(' '))).toEqual(expect.arrayContaining(['/config', '/var/lib/driftwarden']));
    expect(argv(all(final, 'ENTRYPOINT').at(-1)?.args ?? '[]')[0]).toMatch(/tini$/);
    expect(argv(all(final, 'CMD').at(-1)?.args ?? '[]')).toEqual(['--config', '/config/driftwarden.yaml', 'run']);
  });

  it('passes dockerfile-utils lint (a linter from the npm registry; no Docker engine needed)', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'dockerfile-utils'), ['lint', join(ROOT, 'Dockerfile')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('copies only what .dockerignore lets into the build context', () => {
    const sources = dockerfile.flatMap((s) => all(s, 'COPY').filter((c) => !c.args.startsWith('--from'))).flatMap((c) => argv(c.args).slice(0, -1));
    expect(new Set(sources)).toEqual(new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'scripts']));
    const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const source of sources) expect(allowed).toContain(source);
  });
});

describe('image replay', () => {
  let service: ChildProcess | undefined;

  afterEach(() => {
    if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
    service = undefined;
  });

  it(
    'builds with dev dependencies, runs with production ones only, serves /healthz and stops on SIGTERM',
    async () => {
      const stage = (name: string) => dockerfile.find((s) => s.name === name) as Stage;
      const { NODE_ENV: _, ...base } = process.env;
      const buildEnv = { ...base, ...stageEnv(dockerfile, stage('build')) };
      const depsEnv = { ...base, ...stageEnv(dockerfile, stage('deps')) };

      // The build stage's context.
      const build = tempDir('dw-image-build-');
      const sources = dockerfile.flatMap((s) => all(s, 'COPY').filter((c) => !c.args.startsWith('--from'))).flatMap((c) => argv(c.args).slice(0, -1));
      for (const source of sources) cpSync(join(ROOT, source), join(build, source), { recursive: true });

      // The runtime's node_modules come from their own install, as the deps stage does (in
      // parallel with the build, like BuildKit): nothing from the dev tree can leak into it.
      const runtime = tempDir('dw-image-runtime-');
      for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(runtime, file));
      const npmCi = ['ci', '--no-audit', '--no-fund'];
      await Promise.all([
        run('npm', npmCi, build, buildEnv).then(() => run('npm', ['run', 'build'], build, buildEnv)),
        run('npm', [...npmCi, '--omit=dev'], runtime, depsEnv),
      ]);
      cpSync(join(build, 'dist'), join(runtime, 'dist'), { recursive: true });
      expect(existsSync(join(runtime, 'node_modules', 'typescript')), 'a dev dependency in the runtime').toBe(false);
      expect(existsSync(join(runtime, 'node_modules', 'better-sqlite3')), 'better-sqlite3 installed').toBe(true);

      // A minimal service: one file target, in sync with a local approved repository.
      const work = tempDir('dw-image-run-');
      const approved = 'backends:\n  api:\n    algorithm: roundrobin\n';
      new TestRepo(join(work, 'approved')).commit({ 'lb/edge.yaml': approved }, 'approve edge');
      writeFileSync(join(work, 'edge.yaml'), approved);
      const port = await freePort();
      const config = join(work, 'driftwarden.yaml');
      writeFileSync(
        config,
        [
          `git: { repo: ${JSON.stringify(join(work, 'approved'))}, branch: main }`,
          `state: ${JSON.stringify(join(work, 'state'))}`,
          `listen: "127.0.0.1:${port}"`,
          'schedule: "*/5 * * * *"',
          'targets:',
          '  - { name: edge-lb, provider: file, desired: lb/edge.yaml, path: ./edge.yaml }',
          '',
        ].join('\n'),
      );

      let output = '';
      const child = spawn(process.execPath, [join(runtime, 'dist', 'cli', 'bin.js'), '--config', config, 'run'], {
        cwd: runtime,
        env: { ...base, ...stageEnv(dockerfile, final) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      service = child;
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

      let healthy = false;
      for (const deadline = Date.now() + 20_000; !healthy && Date.now() < deadline; ) {
        if (child.exitCode !== null || child.signalCode !== null) break;
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!healthy) await sleep(200);
      }
      expect(healthy, `GET /healthz never answered 200; output:\n${output}`).toBe(true);

      child.kill('SIGTERM');
      expect(await exited(child, 15_000), `after SIGTERM; output:\n${output}`).toEqual({ code: 0, signal: null });
    },
    600_000,
  );
});

describe('Kubernetes example', () => {
  const DIR = join(ROOT, 'examples', 'kubernetes');
  const docs = readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => ({ file, doc })));
  const byKind = (kind: string) => docs.map((d) => d.doc.toJS()).find((o) => o?.kind === kind);

  it('parses, and kustomization.yaml lists every manifest', () => {
    for (const { file, doc } of docs) expect(doc.errors.map(String), file).toEqual([]);
    const resources: string[] = byKind('Kustomization').resources;
    const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(new Set(resources)).toEqual(new Set(manifests));
  });

  it('runs one non-root writer with probes, the config and the state volume', () => {
    const deployment = byKind('Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const security = { ...pod.securityContext, ...container.securityContext };
    expect(security).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const port = (p: number | string) => (typeof p === 'number' ? p : container.ports.find((c: any) => c.name === p)?.containerPort);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(port(container.livenessProbe.httpGet.port)).toBe(9464);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(port(container.readinessProbe.httpGet.port)).toBe(9464);
    expect(container.envFrom).toContainEqual({ secretRef: { name: byKind('Secret').metadata.name } });

    const volume = (mountPath: string) => pod.volumes.find((v: any) => v.name === container.volumeMounts.find((m: any) => m.mountPath === mountPath)?.name);
    expect(volume('/config').configMap.name).toBe(byKind('ConfigMap').metadata.name);
    expect(volume('/var/lib/driftwarden').persistentVolumeClaim.claimName).toBe(byKind('PersistentVolumeClaim').metadata.name);
    expect(byKind('PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteOnce']);

    const service = byKind('Service');
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: 'http', port: 9464 }));
    expect(service.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
  });

  it('ships a valid driftwarden.yaml and only placeholder secrets', () => {
    const file = join(tempDir('dw-k8s-'), 'driftwarden.yaml');
    writeFileSync(file, byKind('ConfigMap').data['driftwarden.yaml']);
    const config = loadConfig(file);
    expect(config.service.listen).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.stateDir).toBe('/var/lib/driftwarden/state');
    expect(config.targets.map((t) => [t.provider, t.mode])).toEqual([['caddy', 'pr']]);

    const secret = byKind('Secret').stringData as Record<string, string>;
    expect(Object.keys(secret).sort()).toEqual(['DRIFTWARDEN_API_TOKEN', 'DRIFTWARDEN_WEBHOOK_SECRET', 'GITHUB_TOKEN', 'GIT_TOKEN']);
    for (const value of Object.values(secret)) expect(value).toMatch(/^REPLACE_ME/);
  });
});

describe('systemd unit', () => {
  it('runs the service as its own user, reloads with SIGHUP and waits out the graceful stop', () => {
    const unit = new Map<string, string>();
    for (const line of readFileSync(join(ROOT, 'examples', 'systemd', 'driftwarden.service'), 'utf8').split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
      if (m) unit.set(m[1] as string, m[2] as string);
    }
    expect(unit.get('ExecStart')).toMatch(/ run$/);
    expect(unit.get('ExecStart')).toContain('--config /etc/driftwarden/driftwarden.yaml');
    expect(unit.get('ExecReload')).toMatch(/kill -HUP \$MAINPID/);
    expect(unit.get('User')).toMatch(/^(?!root$)\w+/);
    expect(unit.get('StateDirectory')).toBe('driftwarden');
    expect(unit.get('NoNewPrivileges')).toBe('yes');
    // Longer than the service's own shutdownTimeout (30s by default).
    expect(Number(/^(\d+)s$/.exec(unit.get('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThan(30);
  });
});
