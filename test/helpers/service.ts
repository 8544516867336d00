import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import { BIN } from './cli.js';

export interface LogLine {
  level: number;
  time: string;
  msg: string;
  [field: string]: unknown;
}

const running = new Set<ServiceProcess>();

/** `driftwarden run` as a real process (the built binary), its JSON log lines parsed as they come. */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `args`: the options of `run` (default: JSON logs at debug level, which the tests read). */
  constructor(readonly config: string, readonly base: string, env: NodeJS.ProcessEnv = {}, args = ['--log-format', 'json', '--log-level', 'debug']) {
    this.child = spawn(process.execPath, [BIN, '--config', config, 'run', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout?.on('data', (c: Buffer) => {
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.trim()) continue;
        try {
          this.logs.push(JSON.parse(l) as LogLine);
        } catch {
          this.logs.push({ level: 30, time: new Date().toISOString(), msg: l }); // pretty or plain output
        }
      }
    });
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    running.add(this);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Starts and waits until /readyz says ready (a first pass has fetched Git). */
  static async start(config: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const s = new ServiceProcess(config, `http://127.0.0.1:${port}`, env);
    await s.until(async () => (await s.get('/readyz').catch(() => null))?.status === 200, 'ready', 20_000);
    return s;
  }

  get(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  }

  async json(path: string): Promise<any> {
    return (await this.get(path)).json();
  }

  post(path: string, body = '', headers: Record<string, string> = {}): Promise<Response> {
    return this.get(path, { method: 'POST', body, headers });
  }

  /** A GitHub delivery signed with `secret` (X-Hub-Signature-256). */
  webhook(event: string, payload: unknown, secret: string): Promise<Response> {
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    return this.post('/webhooks/github', body, { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature, 'x-github-delivery': 'test-delivery' });
  }

  /** The value of one metric series in /metrics (undefined when absent). */
  async metric(series: string): Promise<number | undefined> {
    const text = await (await this.get('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : undefined;
  }

  messages(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Polls `check` until true; fails with `what` and the last log lines after `timeoutMs`. */
  async until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      if (this.child.exitCode !== null) throw new Error(`service exited (${this.child.exitCode}) while waiting for ${what}: ${this.stderr}\n${this.tail()}`);
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; last log lines:\n${this.tail()}`);
  }

  tail(n = 15): string {
    return this.logs.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }

  /** SIGTERM and wait; SIGKILL if it does not stop in time. */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    running.delete(this);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }
}

afterEach(async () => {
  for (const s of [...running]) await s.stop(5_000);
});
