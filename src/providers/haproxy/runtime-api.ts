import { createConnection } from 'node:net';
import { ObserveError } from '../../errors.js';

const ERROR_REPLIES = [/^Unknown command/i, /^No such (server|backend|proxy)/i, /^Permission denied/i, /^Require /i, /^'?[a-z -]+'? expects/i];

/** Tries when the socket refuses or is missing: a reload re-creates it (a window of milliseconds). */
const CONNECT_TRIES = 6;
const CONNECT_RETRY_MS = 100;

/**
 * Sends one command to HAProxy's Runtime API (or master CLI) and returns the reply. One
 * command per connection; `endpoint` is `unix:/path`, `/path`, or `tcp:host:port`.
 * Errors come back as plain text from HAProxy: they are turned into ObserveError. A socket that
 * refuses the connection or is not there is tried again for half a second: HAProxy re-creates
 * it while it reloads, and an operator's reload must not read as a failed check.
 */
export async function runtimeCommand(endpoint: string, command: string, timeoutMs = 5_000): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runtimeCommandOnce(endpoint, command, timeoutMs);
    } catch (err) {
      const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if (attempt >= CONNECT_TRIES || (code !== 'ECONNREFUSED' && code !== 'ENOENT')) throw err;
      await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
    }
  }
}

function runtimeCommandOnce(endpoint: string, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = endpoint.startsWith('tcp:') ? parseTcp(endpoint.slice(4)) : { path: endpoint.replace(/^unix:/, '') };
    const socket = createConnection(target);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ObserveError(`HAProxy API ${endpoint} did not answer "${command.split(' ')[0]}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'is HAProxy running, and is the socket path right?' : err.code === 'EACCES' ? 'permission denied on the socket' : err.message;
      reject(new ObserveError(`cannot reach HAProxy API ${endpoint}: ${hint}`, { cause: err }));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const reply = Buffer.concat(chunks).toString('utf8');
      const first = reply.trim().split('\n')[0] ?? '';
      if (ERROR_REPLIES.some((r) => r.test(first))) reject(new ObserveError(`HAProxy API refused "${command}": ${first.slice(0, 120)}`));
      else resolve(reply);
    });
  });
}

function parseTcp(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) };
}

/** `show stat` CSV as objects keyed by column name. */
export function parseShowStat(reply: string): Record<string, string>[] {
  const [header, ...rows] = reply.split('\n').filter((l) => l.trim() !== '');
  if (!header?.startsWith('# ')) throw new ObserveError('unexpected reply to "show stat" (no CSV header)');
  const cols = header.slice(2).split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [cols[i] ?? `c${i}`, v])));
}

/** `show servers state` rows (format version 1) as objects keyed by column name. */
export function parseServersState(reply: string): Record<string, string>[] {
  const lines = reply.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) throw new ObserveError('unexpected reply to "show servers state" (no header)');
  const cols = header.slice(2).split(' ');
  return lines.filter((l) => !l.startsWith('#') && l.includes(' ')).map((l) => Object.fromEntries(l.split(' ').map((v, i) => [cols[i] ?? `c${i}`, v])));
}

/** Master CLI `show proc`: the master's reload count and how many failed. */
export function parseShowProc(reply: string): { masterPid: number; reloads: number; failed: number } | undefined {
  const m = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(reply);
  return m ? { masterPid: Number(m[1]), reloads: Number(m[2]), failed: Number(m[3]) } : undefined;
}

/** What the running process reports: `show stat` and `show servers state`, read together. */
export async function readRunningState(endpoint: string): Promise<{ stat: Record<string, string>[]; servers: Record<string, string>[] }> {
  const [stat, servers] = await Promise.all([
    runtimeCommand(endpoint, 'show stat').then(parseShowStat),
    runtimeCommand(endpoint, 'show servers state').then(parseServersState),
  ]);
  return { stat, servers };
}
