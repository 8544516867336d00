import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The tests' cache folder (config parse cache) is a temp folder, not the user's ~/.cache: every
 * test config has a path of its own, and the test processes and the CLI they start inherit this.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'dw-test-cache-'));
  process.env.XDG_CACHE_HOME = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
