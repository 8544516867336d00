import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, GitSourceError, LockedError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { describeChange } from '../diff/describe.js';
import { describeAction } from '../reconcile/describe-action.js';
import { runPass } from '../reconcile/pass.js';
import type { Runtime } from '../reconcile/runtime.js';
import { acquireLock, type Lock } from '../state/lock.js';
import type { PassTrigger, ServiceMetrics } from './metrics.js';

export interface PassRequest {
  trigger: PassTrigger;
  /** Only these targets; all when absent. */
  targets?: string[];
  /** Why, for the log (e.g. "push to main", "PR #12 merged"). */
  detail?: string;
}

export type RequestOutcome = 'started' | 'queued' | 'skipped';

/**
 * Runs reconcile passes one at a time. A scheduled pass that falls due while another runs is
 * skipped and counted (no overlap, no pile-up). A pass asked for by a webhook or an operator is
 * queued behind the running one and merged with other queued requests, so it runs as soon as it
 * can and at most once. Maintenance jobs (a config reload) run between passes.
 */
export class PassRunner {
  private busy = false;
  private queued: PassRequest | null = null;
  private jobs: (() => Promise<void>)[] = [];
  private current: Promise<void> | null = null;
  private stopping = false;
  private held: Lock | null = null;
  private abortWait = new AbortController();
  /** Set once a pass has fetched Git (stale or not): /readyz. */
  gitFetched = false;
  lastGit: { lastSuccess: number | null; stale: boolean } = { lastSuccess: null, stale: false };
  passes = 0;

  constructor(
    private readonly runtime: () => Runtime,
    private readonly metrics: ServiceMetrics,
    private readonly log: Logger,
  ) {}

  /** A cron tick. Skipped (and counted) while a pass runs or waits for its start. */
  scheduled(targets: string[] | undefined, jitterMs: number): RequestOutcome {
    if (this.stopping) return 'skipped';
    if (this.busy) {
      this.metrics.skip('overlap');
      this.log.warn({ targets: targets ?? 'all' }, 'scheduled pass skipped: the previous pass is still running');
      return 'skipped';
    }
    this.start({ trigger: 'schedule', ...(targets ? { targets } : {}) }, jitterMs > 0 ? Math.floor(Math.random() * jitterMs) : 0);
    return 'started';
  }

  /** A webhook or an operator: now, or right after the running pass. */
  request(req: PassRequest): RequestOutcome {
    if (this.stopping) return 'skipped';
    if (!this.busy) {
      this.start(req, 0);
      return 'started';
    }
    this.queued = this.queued ? merge(this.queued, req) : req;
    return 'queued';
  }

  /** Runs `job` when no pass is running (a config reload swaps the runtime this way). */
  exclusive(job: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.jobs.push(() => job().then(resolve, reject));
      if (!this.busy) this.start(null, 0);
    });
  }

  /** A stop that did not wait for the pass: give its lock back so the next start need not take it over. */
  releaseLocks(): void {
    this.held?.release();
    this.held = null;
  }

  get running(): boolean {
    return this.busy;
  }

  /** No new passes; waits for the one in flight up to `timeoutMs`. True when it finished. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.queued = null;
    this.abortWait.abort();
    if (!this.current) return true;
    const done = await Promise.race([this.current.then(() => true), sleep(timeoutMs, false, { ref: false })]);
    return done;
  }

  private start(req: PassRequest | null, delayMs: number): void {
    this.busy = true;
    this.current = this.loop(req, delayMs)
      .catch((err: unknown) => this.log.error({ error: errorMessage(err) }, 'pass runner failed'))
      .finally(() => {
        this.busy = false;
        this.current = null;
        // Asked for in the instant the loop ended: run it now.
        if (!this.stopping && (this.jobs.length > 0 || this.queued)) this.start(null, 0);
      });
  }

  private async loop(first: PassRequest | null, delayMs: number): Promise<void> {
    let req = first;
    if (delayMs > 0) {
      this.log.debug({ delayMs }, 'pass waits for its jitter');
      try {
        await sleep(delayMs, undefined, { signal: this.abortWait.signal });
      } catch {
        return; // stopping
      }
    }
    for (let i = 0; i < 1_000 && !this.stopping; i++) {
      while (this.jobs.length > 0) await (this.jobs.shift() as () => Promise<void>)();
      if (!req) {
        req = this.queued;
        this.queued = null;
      }
      if (!req) return;
      await this.runOne(req);
      req = null;
    }
  }

  private async runOne(req: PassRequest): Promise<void> {
    const rt = this.runtime();
    const started = performance.now();
    const passId = ++this.passes;
    const log = this.log.child({ pass: passId, trigger: req.trigger });
    log.debug({ targets: req.targets ?? 'all', detail: req.detail }, 'pass started');
    let lock: Lock;
    try {
      // The CLI (revert during an incident) takes the same lock: wait for it a while, then skip.
      lock = await acquireLock(join(rt.config.stateDir, 'writer.lock'), 'run', 30_000);
      this.held = lock;
    } catch (err) {
      if (err instanceof LockedError) {
        this.metrics.skip('locked');
        log.warn({ reason: err.message }, 'pass skipped: the state folder is locked');
      } else {
        this.metrics.pass(req.trigger, (performance.now() - started) / 1000, false);
        log.error({ error: errorMessage(err) }, 'pass failed: cannot take the state folder lock');
      }
      return;
    }
    let ok = true;
    try {
      const known = new Set(rt.config.targets.map((t) => t.name));
      const only = req.targets?.filter((t) => known.has(t));
      if (req.targets && only?.length === 0) return; // its targets were removed by a reload
      const pass = await runPass(rt, {
        record: true,
        act: true,
        ...(only ? { only } : {}),
        onTarget: (check, action, seconds) => {
          this.metrics.target(check, action, seconds);
          const r = check.result;
          const fields = { target: r.name, status: r.status, severity: r.severity, event: r.event, seconds: Math.round(seconds * 1000) / 1000 };
          const what = action ? describeAction(action) : undefined;
          // Transitions and actions are news; the same state again is not (debug only).
          if (r.event || what) log.info({ ...fields, changes: r.changes.length, top: r.changes[0] ? describeChange(r.changes[0]) : undefined, action: what, error: r.error?.message }, r.event ? 'target changed state' : 'target acted on');
          else log.debug(fields, 'target checked');
        },
      });
      this.gitFetched = true;
      this.metrics.git(pass.git);
      this.lastGit = { lastSuccess: pass.git.stale ? this.lastGit.lastSuccess : Date.parse(pass.git.fetchedAt), stale: pass.git.stale };
      if (pass.git.stale) log.warn({ error: pass.git.error, fetchedAt: pass.git.fetchedAt }, 'git fetch failed; using the last fetched commit');
      const drifted = pass.checks.filter((c) => c.result.status === 'drifted').length;
      const errors = pass.checks.filter((c) => c.result.status === 'error').length;
      ok = errors === 0;
      log[errors > 0 ? 'info' : 'debug']({ targets: pass.checks.length, drifted, errors, commit: pass.git.commit.slice(0, 12), seconds: round((performance.now() - started) / 1000) }, 'pass finished');
    } catch (err) {
      ok = false;
      if (err instanceof GitSourceError) {
        this.metrics.git(null);
        this.lastGit = { ...this.lastGit, stale: true };
      }
      log.error({ error: errorMessage(err) }, 'pass failed');
    } finally {
      lock.release();
      this.held = null;
      this.metrics.pass(req.trigger, (performance.now() - started) / 1000, ok);
    }
  }
}

function merge(a: PassRequest, b: PassRequest): PassRequest {
  const targets = a.targets && b.targets ? [...new Set([...a.targets, ...b.targets])] : undefined;
  return { trigger: b.trigger, ...(targets ? { targets } : {}), detail: [a.detail, b.detail].filter(Boolean).join('; ') };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
