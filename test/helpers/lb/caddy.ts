import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A real Caddy with its admin API on a loopback port and its storage in a temp folder. */
export class CaddyInstance {
  readonly pidFile: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(readonly dir: string, readonly adminPort: number) {
    this.pidFile = join(dir, 'caddy.pid');
    mkdirSync(join(dir, 'home'), { recursive: true });
    this.env = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'home'), XDG_DATA_HOME: join(dir, 'home') };
  }

  get adminApi(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  /** `admin` block every test config carries: loopback, never persisted. */
  admin(): Record<string, unknown> {
    return { listen: `127.0.0.1:${this.adminPort}`, config: { persist: false } };
  }

  async start(config: object): Promise<void> {
    const file = join(this.dir, 'caddy.json');
    writeFileSync(file, JSON.stringify(config));
    // `caddy start` forks the server: its output must not be a pipe we wait on.
    const r = spawnSync('caddy', ['start', '--config', file, '--pidfile', this.pidFile], { env: this.env, stdio: 'ignore', cwd: this.dir, timeout: 30_000 });
    if (r.status !== 0) throw new Error(`caddy start failed (${r.status})`);
    for (let i = 0; i < 50; i++) {
      try {
        const res = await fetch(`${this.adminApi}/config/`);
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    throw new Error('caddy admin API did not come up');
  }

  /** What an operator does: PATCH a value through the admin API. */
  async patch(path: string, value: unknown): Promise<void> {
    const res = await fetch(`${this.adminApi}/config/${path}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
    if (!res.ok) throw new Error(`PATCH ${path}: ${res.status} ${await res.text()}`);
  }

  async config(): Promise<any> {
    return (await fetch(`${this.adminApi}/config/`)).json();
  }

  stop(): void {
    try {
      process.kill(Number(readFileSync(this.pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}
