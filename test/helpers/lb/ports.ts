import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function which(binary: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => existsSync(`${d}/${binary}`));
}

/**
 * Whether an integration suite for `binary` must be skipped. Outside CI a missing binary skips
 * the suite and says so; in CI (CI=true, where .ci/run installs them) it fails the run instead.
 */
export function skipWithout(binary: string): boolean {
  if (which(binary)) return false;
  if (process.env.CI === 'true') throw new Error(`${binary} is not installed: .ci/run must install it (apt-get install -y ${binary})`);
  console.warn(`[driftwarden tests] ${binary} not installed: skipping its integration suite (install it to run them)`);
  return true;
}
