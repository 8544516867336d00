import type { Target } from '../config/types.js';
import { gitBlobId } from '../git/blob-id.js';
import { getProvider } from '../providers/registry.js';
import { observeLive, oneFile, type LiveRead } from './observe.js';
import type { Runtime } from './runtime.js';

/** Most bytes of live configs read ahead and held at once. */
const BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * Live configs read while Git fetches: reading them does not need the approved commit, and a
 * fetch is mostly waiting on the network (or on another process). Reads begin with `start`:
 * before a first clone, once git has started (begun before it, a thousand reads held up
 * `git init` and the fetch by ~190 ms); with a clone in place, at once. Targets are read in
 * pass order, `concurrency` at a time, until the fetch is done (`stop`) or the reads hold
 * BUDGET_BYTES. A target takes its read once (`take`); one not read ahead is read in its turn.
 */
export class EarlyReads {
  private readonly reads = new Map<string, Promise<LiveRead>>();
  /** The blob ids of live configs read ahead (one-file providers). */
  private readonly blobs = new Map<string, string>();
  private stopped = false;
  private held = 0;
  private next = 0;
  private started = false;

  constructor(
    private readonly rt: Runtime,
    private readonly targets: readonly Target[],
  ) {}

  /** Starts reading (once; not after `stop`). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const workers = Math.min(this.rt.config.service.concurrency, this.targets.length);
    for (let i = 0; i < workers; i++) void this.work();
  }

  /** No more reads start (the fetch is done). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Targets whose live config, read ahead, is not the approved blob (`approvedBlob` gives its
   * id, as listed for the pass): the ones that will parse and compare, and perhaps drift.
   */
  differing(approvedBlob: (target: Target) => string | null | undefined): Target[] {
    return this.targets.filter((t) => {
      const live = this.blobs.get(t.name);
      const approved = live ? approvedBlob(t) : undefined;
      return typeof approved === 'string' && live !== approved;
    });
  }

  /** The target's read, if it was started; later calls get undefined. */
  take(name: string): Promise<LiveRead> | undefined {
    const read = this.reads.get(name);
    this.reads.delete(name);
    return read;
  }

  private async work(): Promise<void> {
    const { config } = this.rt;
    while (!this.stopped && this.next < this.targets.length && this.held < BUDGET_BYTES) {
      const target = this.targets[this.next++] as Target;
      const provider = getProvider(target.provider);
      const read = observeLive(provider, target, config.baseDir, config.service.targetTimeoutMs).then((r) => {
        // Hashed now, while Git fetches, not when the target is checked; for what observeTarget
        // compares by blob id.
        if (r.kind === 'ok' && oneFile(provider, r.snapshot)) r.blobId = gitBlobId(r.snapshot.text);
        return r;
      });
      this.reads.set(target.name, read);
      const done = await read;
      if (done.kind === 'ok') {
        this.held += done.snapshot.text.length;
        if (done.blobId) this.blobs.set(target.name, done.blobId);
      }
    }
  }
}
