import { request } from 'node:http';
import { ObserveError } from '../../errors.js';

export interface AdminReply {
  status: number;
  body: string;
  /** Caddy sends the config's ETag as an HTTP trailer of GET /config/. */
  etag?: string;
}

/** One request to Caddy's admin API (plain HTTP on loopback or a unix socket path). */
export function adminRequest(base: string, method: 'GET' | 'POST', path: string, options: { body?: string; ifMatch?: string; timeoutMs?: number } = {}): Promise<AdminReply> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.ifMatch ? { 'if-match': options.ifMatch } : {}),
          // Caddy checks Origin/Host on its admin endpoint; send what it expects for loopback.
          host: url.host,
        },
        timeout: options.timeoutMs ?? 10_000,
        // A config load makes Caddy drop idle admin connections: never reuse one.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const trailer = res.trailers.etag ?? res.headers.etag;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(trailer ? { etag: String(trailer) } : {}) });
        });
        res.on('error', reject);
      },
    );
    // `timeout` is an idle timeout; this bounds the whole exchange (a server trickling bytes).
    const deadline = setTimeout(() => req.destroy(new ObserveError(`Caddy admin API ${base} did not finish ${method} ${path} within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new ObserveError(`Caddy admin API ${base} did not answer ${method} ${path} within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ObserveError) return reject(err);
      const hint = err.code === 'ECONNREFUSED' ? 'connection refused: is Caddy running with its admin API on this address?' : err.message;
      reject(new ObserveError(`cannot reach Caddy admin API ${base}: ${hint}`, { cause: err }));
    });
    req.end(options.body);
  });
}

/** The running config and its ETag. */
export async function readRunningConfig(base: string, timeoutMs?: number): Promise<{ text: string; etag?: string }> {
  const reply = await adminRequest(base, 'GET', 'config/', { timeoutMs });
  if (reply.status !== 200) throw new ObserveError(`Caddy admin API answered ${reply.status} to GET /config/: ${errorText(reply.body)}`);
  return { text: reply.body.trim() === 'null' ? '{}' : reply.body, ...(reply.etag ? { etag: reply.etag } : {}) };
}

export function errorText(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: string }).error ?? body).slice(0, 300);
  } catch {
    return body.slice(0, 300);
  }
}
