import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrafficTestError } from '../../errors.js';

/** The header an echo server answers with: which stand-in answered. */
export const ECHO_HEADER = 'x-driftwarden-echo';

/** Most echo servers one test starts (a server each): a bigger config is not a traffic test's job. */
export const MAX_ECHO_SERVERS = 256;

/**
 * Small HTTP servers on 127.0.0.1, one per server of the proposed config, each answering every
 * request (health checks included) with 200 and its own id. Started when first asked for.
 */
export class EchoFleet {
  private readonly servers: Server[] = [];
  private readonly byKey = new Map<string, { id: number; port: number }>();
  /** id -> pool and server. */
  readonly identities: { pool: string; server: string }[] = [];

  async port(pool: string, server: string): Promise<number> {
    const key = `${pool}\u0000${server}`;
    const known = this.byKey.get(key);
    if (known) return known.port;
    if (this.servers.length >= MAX_ECHO_SERVERS) {
      throw new TrafficTestError(`the traffic test stands in for at most ${MAX_ECHO_SERVERS} servers; this config has more (turn the traffic test off for this target)`);
    }
    const id = this.identities.length;
    this.identities.push({ pool, server });
    const http = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', [ECHO_HEADER]: String(id), connection: 'close' }).end(`${pool} ${server}\n`);
    });
    this.servers.push(http);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    this.byKey.set(key, { id, port });
    return port;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
    this.servers.length = 0;
  }
}
