import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConfigTree } from '../diff/tree.js';
import { ParseError } from '../errors.js';
import type { Provider, TargetBase } from '../providers/provider.js';
import type { ParseReply, ParseRequest, WorkerReady } from './messages.js';

/** Texts shorter than this are parsed where they are: copying them and their trees costs more. */
const MIN_CHARS = 32 * 1024;

/**
 * Parses big texts on one worker thread (parse-worker.js), started on the first one and stopped
 * by `close` (the end of a pass). Until the worker has started, and for small texts, this thread
 * parses: nothing waits for the worker. Results are exactly the provider's: a ParseError comes back as a
 * ParseError; a tree the worker cannot copy, or a worker that fails, is parsed here instead. Where the worker's file is
 * not there (the TypeScript sources run by the tests), everything is parsed on this thread.
 */
export class OffThreadParser {
  private worker: Worker | undefined;
  /** A worker failed once: no other is started by this parser. */
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(reply: ParseReply): void; reject(err: Error): void }>();
  /** Resolves true once the worker takes requests, false when it failed or was stopped first. */
  private started: Promise<boolean> | undefined;
  private isReady = false;
  private settleStart: ((ok: boolean) => void) | undefined;
  private readonly minChars: number;

  /** `minChars`: texts shorter than this are parsed on this thread (default 32 KiB). */
  constructor(options: { minChars?: number } = {}) {
    this.minChars = options.minChars ?? MIN_CHARS;
  }

  private static readonly file = ((): string | undefined => {
    const file = fileURLToPath(new URL('./parse-worker.js', import.meta.url));
    return existsSync(file) ? file : undefined;
  })();

  static get available(): boolean {
    return OffThreadParser.file !== undefined;
  }

  /** Starts the worker; resolves true once it takes requests (false: it failed, or none can start). */
  ready(): Promise<boolean> {
    this.start();
    return this.started ?? Promise.resolve(false);
  }

  /**
   * Parses on the worker, or here when the worker is busy or not started yet, or the text is
   * small: both threads parse when many big texts come at once (a first pass over a fleet), and
   * a lone parse never waits behind another.
   */
  async parse<T extends TargetBase>(provider: Provider, text: string, origin: string, target: T): Promise<ConfigTree> {
    if (text.length < this.minChars) return provider.parse(text, origin, target as never);
    const worker = this.pending.size === 0 ? this.start() : undefined;
    if (!worker || !this.isReady) return provider.parse(text, origin, target as never);
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
    this.settleStart?.(false);
  }

  private start(): Worker | undefined {
    if (this.worker || this.broken || !OffThreadParser.file) return this.worker;
    const worker = new Worker(OffThreadParser.file);
    worker.unref(); // never what keeps a command from exiting
    this.isReady = false;
    this.started = new Promise<boolean>((resolve) => {
      this.settleStart = (ok) => {
        this.settleStart = undefined;
        resolve(ok);
      };
    });
    worker.on('message', (reply: ParseReply | WorkerReady) => {
      if ('ready' in reply) {
        if (this.worker === worker) this.isReady = true;
        this.settleStart?.(this.worker === worker);
        return;
      }
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
      this.settleStart?.(false);
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
