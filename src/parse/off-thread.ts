import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConfigTree } from '../diff/tree.js';
import { ParseError } from '../errors.js';
import type { Provider, TargetBase } from '../providers/provider.js';
import type { ParseReply, ParseRequest } from './messages.js';

/**
 * Parses on one worker thread (parse-worker.js), started on the first parse and stopped by
 * `close` (the end of a pass). Results are exactly the provider's: a ParseError comes back as a
 * ParseError; a tree the worker cannot copy, or a worker that fails, is parsed here instead. Where the worker's file is
 * not there (the TypeScript sources run by the tests), everything is parsed on this thread.
 */
export class OffThreadParser {
  private worker: Worker | undefined;
  /** A worker failed once: no other is started by this parser. */
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: ParseReply): void; reject(err: Error): void }>();

  private static readonly file = ((): string | undefined => {
    const file = fileURLToPath(new URL('./parse-worker.js', import.meta.url));
    return existsSync(file) ? file : undefined;
  })();

  static get available(): boolean {
    return OffThreadParser.file !== undefined;
  }

  /** Starts the worker now (its start and first compiles then overlap other work, such as a fetch). */
  warm(): void {
    this.start();
  }

  /**
   * Parses on the worker, or here when the worker is busy: both threads parse when many texts
   * come at once (a first pass over a fleet), and a lone parse never waits behind another.
   */
  async parse<T extends TargetBase>(provider: Provider, text: string, origin: string, target: T): Promise<ConfigTree> {
    const worker = this.pending.size === 0 ? this.start() : undefined;
    if (!worker) return provider.parse(text, origin, target as never);
    const id = this.nextId++;
    let reply: ParseReply;
    try {
      reply = await new Promise<ParseReply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        const req: ParseRequest = { id, kind: provider.kind, text, origin, target };
        worker.postMessage(req);
      });
    } catch {
      // The worker failed (or was stopped): this thread parses, as it would without one.
      return provider.parse(text, origin, target as never);
    }
    if ('tree' in reply) return reply.tree;
    if ('parseError' in reply) throw new ParseError(reply.parseError.origin, reply.parseError.line, reply.parseError.detail);
    // Anything else (a provider the worker does not know, a tree it cannot copy, a bug): parsed
    // here, where it succeeds or fails exactly as it would have without a worker.
    return provider.parse(text, origin, target as never);
  }

  /** Stops the worker; what is still pending fails. */
  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
    this.failAll(new Error('the parse worker was stopped'));
  }

  private start(): Worker | undefined {
    if (this.worker || this.broken || !OffThreadParser.file) return this.worker;
    const worker = new Worker(OffThreadParser.file);
    worker.unref(); // never what keeps a command from exiting
    worker.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    const gone = (err: Error) => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.broken = true;
      }
      this.failAll(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the parse worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
