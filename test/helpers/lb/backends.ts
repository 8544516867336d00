import { createServer, type Server } from 'node:http';

/** Small HTTP servers on 127.0.0.1 that answer with their own name: the pool behind a balancer. */
export class EchoServers {
  private servers: Server[] = [];
  readonly ports: number[] = [];

  async start(names: string[]): Promise<number[]> {
    for (const name of names) {
      const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.push(server);
      this.ports.push((server.address() as { port: number }).port);
    }
    return this.ports;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
    this.servers = [];
  }
}

/** Sends `n` requests (sequential, bounded) and counts the answers by body. */
export async function distribution(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: { connection: 'close' } });
    const body = await res.text();
    counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}
