import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeCommand } from '../../../src/providers/haproxy/runtime-api.js';

/** A real HAProxy in master-worker mode in a temp folder, stopped by pid. */
export class HaproxyInstance {
  readonly config: string;
  readonly adminSock: string;
  readonly masterSock: string;
  readonly pidFile: string;

  constructor(readonly dir: string) {
    this.config = join(dir, 'haproxy.cfg');
    this.adminSock = join(dir, 'admin.sock');
    this.masterSock = join(dir, 'master.sock');
    this.pidFile = join(dir, 'haproxy.pid');
  }

  /** The `global` section every test config starts with (sockets inside the temp folder). */
  globalSection(): string {
    return `global\n    stats socket ${this.adminSock} mode 600 level admin expose-fd listeners\n\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\n`;
  }

  async start(config: string): Promise<void> {
    writeFileSync(this.config, config);
    execFileSync('haproxy', ['-W', '-D', '-S', this.masterSock, '-f', this.config, '-p', this.pidFile], { stdio: 'pipe' });
    for (let i = 0; i < 50; i++) {
      try {
        await runtimeCommand(this.adminSock, 'show info', 1_000);
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error('haproxy did not come up');
  }

  api(command: string): Promise<string> {
    return runtimeCommand(this.adminSock, command);
  }

  /** What an operator does: edit the file, then reload through the master socket. */
  async editAndReload(config: string): Promise<void> {
    writeFileSync(this.config, config);
    // The master re-executes itself on reload: its socket refuses connections for a moment.
    const count = async () => Number(/master\s+(\d+)/.exec(await runtimeCommand(this.masterSock, 'show proc').catch(() => ''))?.[1] ?? -1);
    const before = await count();
    await runtimeCommand(this.masterSock, 'reload');
    // Wait (bounded) until the master counted the reload, then for the new worker's socket.
    for (let i = 0; i < 100 && (await count()) <= before; i++) await sleep(50);
    await sleep(300);
    for (let i = 0; i < 50; i++) {
      try {
        await this.api('show info');
        return;
      } catch {
        await sleep(100);
      }
    }
  }

  async algo(backend: string): Promise<string | undefined> {
    const rows = (await this.api('show stat')).split('\n');
    const header = rows[0]?.slice(2).split(',') ?? [];
    const row = rows.find((r) => r.startsWith(`${backend},BACKEND,`))?.split(',');
    return row?.[header.indexOf('algo')];
  }

  stop(): void {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim().split(/\s+/)[0]);
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}
