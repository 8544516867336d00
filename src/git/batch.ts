import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

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

interface BlobRequest {
  resolve(blob: Buffer | null): void;
  reject(err: Error): void;
}

/**
 * One `git cat-file --batch` process kept open for a pass, read from as targets ask: a target
 * reads its approved file only when its live file differs, so nothing is read for the many that
 * are in sync, and the few that differ share one process. Answers come back in the order asked.
 * A request that gets no answer for `timeoutMs` fails every request pending on that process
 * (the next read starts a new one).
 */
export class BlobReader {
  private session: CatFile | undefined;

  constructor(
    private readonly gitDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs = 60_000,
  ) {}

  /** The blob's content, or null when no blob has this id. */
  read(id: string): Promise<Buffer | null> {
    if (!this.session || this.session.done) this.session = new CatFile(this.gitDir, this.env, this.timeoutMs);
    return this.session.read(id);
  }

  /** Lets the process end once it has answered what was asked. */
  close(): void {
    this.session?.end();
    this.session = undefined;
  }
}

/** One cat-file process and the requests pending on it. */
class CatFile {
  done = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private pending: BlobRequest[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes to wait for before parsing again (a big blob's chunks are joined once). */
  private need = 0;
  private stderr = '';
  private readonly timer: NodeJS.Timeout;

  constructor(gitDir: string, env: NodeJS.ProcessEnv, timeoutMs: number) {
    this.child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (c: Buffer) => this.onData(c));
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.stdin.on('error', () => undefined); // EPIPE when git exits early; 'close' reports why
    this.child.on('error', (err) => this.fail(err));
    this.child.on('close', (code) => this.fail(new Error(`git cat-file exited ${code}${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`)));
    this.timer = setTimeout(() => {
      this.child.kill('SIGKILL');
      this.fail(new Error(`git cat-file gave no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    this.timer.unref();
  }

  read(id: string): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) this.timer.refresh();
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${id}\n`);
    });
  }

  end(): void {
    this.done = true;
    this.child.stdin.end();
  }

  private fail(err: Error): void {
    this.done = true;
    clearTimeout(this.timer);
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(err);
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.timer.refresh();
    if (this.buffered < this.need) return;
    let buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.need = 0;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0 || this.pending.length === 0) {
        this.need = buf.length + 1;
        break;
      }
      const [, type, size] = buf.subarray(0, nl).toString().split(' ');
      if (size === undefined) {
        // `<id> missing` (or ambiguous): no such blob.
        buf = buf.subarray(nl + 1);
        (this.pending.shift() as BlobRequest).resolve(null);
        continue;
      }
      const end = nl + 1 + Number(size);
      if (buf.length < end + 1) {
        this.need = end + 1;
        break;
      }
      const blob = type === 'blob' ? buf.subarray(nl + 1, end) : null;
      buf = buf.subarray(end + 1);
      (this.pending.shift() as BlobRequest).resolve(blob);
    }
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
  }
}
