import type { Target } from '../config/types.js';
import { getProvider } from '../providers/registry.js';
import { observeLive, type LiveRead } from './observe.js';
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
      const read = observeLive(getProvider(target.provider), target, config.baseDir, config.service.targetTimeoutMs);
      this.reads.set(target.name, read);
      const done = await read;
      if (done.kind === 'ok') this.held += done.snapshot.text.length;
    }
  }
}
