import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ObserveError } from '../../../src/errors.js';
import { parseServersState, parseShowProc, parseShowStat, runtimeCommand } from '../../../src/providers/haproxy/runtime-api.js';
import { tempDir } from '../../helpers/tmp.js';

/** A unix socket that answers like a misbehaving HAProxy: fixed text, or never. */
async function fakeSocket(reply: string | null): Promise<{ path: string; server: Server }> {
  const path = join(tempDir('dw-sock-'), 'admin.sock');
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', () => {
      if (reply !== null) socket.end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, server };
}

describe('HAProxy Runtime API client', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('waits out a reload: a socket that appears within half a second is answered', async () => {
    const path = join(tempDir('dw-sock-'), 'master.sock');
    const late = setTimeout(() => {
      const server = createServer({ allowHalfOpen: true }, (socket) => socket.on('data', () => socket.end('# pxname,svname\n')));
      servers.push(server);
      server.listen(path);
    }, 250);
    try {
      expect(await runtimeCommand(`unix:${path}`, 'show stat')).toBe('# pxname,svname\n');
    } finally {
      clearTimeout(late);
    }
  });

  it('a socket that stays missing fails, saying what to check', async () => {
    const path = join(tempDir('dw-sock-'), 'never.sock');
    await expect(runtimeCommand(`unix:${path}`, 'show stat')).rejects.toThrow(/cannot reach HAProxy API unix:.*never\.sock: is HAProxy running, and is the socket path right\?/);
  });

  it('turns an error reply into an ObserveError that quotes HAProxy', async () => {
    const { path, server } = await fakeSocket('Unknown command. Please enter one of the following commands only :\n  help\n');
    servers.push(server);
    await expect(runtimeCommand(`unix:${path}`, 'show stat')).rejects.toThrow(new ObserveError('HAProxy API refused "show stat": Unknown command. Please enter one of the following commands only :'));
  });

  it('gives up on a socket that accepts and never answers, within its timeout', async () => {
    const { path, server } = await fakeSocket(null);
    servers.push(server);
    await expect(runtimeCommand(`unix:${path}`, 'show stat', 300)).rejects.toThrow(/did not answer "show" within 300 ms/);
  });

  it('rejects replies that are not what the command returns', () => {
    expect(() => parseShowStat('garbage\n')).toThrow(/no CSV header/);
    expect(() => parseServersState('1\n')).toThrow(/no header/);
    expect(parseShowProc('#<PID> <type>\n123 master 4 [failed: 1] 0d 2.6\n')).toEqual({ masterPid: 123, reloads: 4, failed: 1 });
  });
});
