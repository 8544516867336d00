import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A real nginx with its prefix, pid, logs and temp paths in a temp folder, stopped by pid. */
export class NginxInstance {
  readonly config: string;
  readonly pidFile: string;
  readonly errorLog: string;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'conf'), { recursive: true });
    mkdirSync(join(dir, 'temp'), { recursive: true });
    this.config = join(dir, 'conf', 'nginx.conf');
    this.pidFile = join(dir, 'nginx.pid');
    this.errorLog = join(dir, 'error.log');
  }

  /** Everything outside `http {}` plus the temp paths, so nginx writes only inside the folder. */
  wrap(http: string): string {
    const user = process.getuid?.() === 0 ? 'user root;\n' : '';
    const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${this.dir}/temp/${t};`).join('\n');
    return `${user}worker_processes 1;\npid ${this.pidFile};\nerror_log ${this.errorLog};\nevents { worker_connections 64; }\nhttp {\n    access_log off;\n${temps}\n${http}}\n`;
  }

  async start(text: string): Promise<void> {
    writeFileSync(this.config, text);
    execFileSync('nginx', ['-p', this.dir, '-c', 'conf/nginx.conf', '-e', this.errorLog, '-g', 'daemon on;'], { stdio: 'pipe' });
    await sleep(300);
  }

  /** What an operator does: edit, then `nginx -s reload`. */
  async editAndReload(text: string): Promise<void> {
    writeFileSync(this.config, text);
    execFileSync('nginx', ['-p', this.dir, '-c', 'conf/nginx.conf', '-e', this.errorLog, '-s', 'reload'], { stdio: 'pipe' });
    await sleep(800);
  }

  stop(): void {
    try {
      process.kill(Number(readFileSync(this.pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}
