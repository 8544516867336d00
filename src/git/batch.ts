import { spawn } from 'node:child_process';

/**
 * Reads many blobs in one `git cat-file --batch` process instead of one process per blob.
 * Returns a map from blob id to content; missing ids are absent.
 */
export function readBlobs(gitDir: string, ids: readonly string[], env: NodeJS.ProcessEnv): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (ids.length === 0) return Promise.resolve(out);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('git cat-file did not finish within 60 s'));
    }, 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`git cat-file exited ${code}: ${stderr.trim()}`));
      const buf = Buffer.concat(chunks);
      let pos = 0;
      for (const id of ids) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0) break;
        const header = buf.subarray(pos, nl).toString();
        pos = nl + 1;
        const [, type, size] = header.split(' ');
        if (type === undefined || size === undefined) continue; // "<id> missing"
        const n = Number(size);
        if (type === 'blob') out.set(id, buf.subarray(pos, pos + n));
        pos += n + 1;
      }
      resolvePromise(out);
    });
    child.stdin.on('error', () => undefined); // EPIPE when git exits early; 'close' reports why
    child.stdin.end(`${ids.join('\n')}\n`);
  });
}
