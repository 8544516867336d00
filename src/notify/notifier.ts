import { createHash } from 'node:crypto';
import type { NotifySink } from '../config/types.js';
import type { HistoryStore } from '../history/store.js';
import type { Logger } from '../log/logger.js';
import { formatMs } from '../config/duration.js';
import type { Notification } from './message.js';
import { Outbox } from './outbox.js';
import { slackPayload } from './slack.js';
import { post } from './webhook.js';

/** Wait before each retry of a failed delivery; after the last, the notification is given up. */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
const BATCH = 50;

export interface NotifierStats {
  pending: number;
  oldest: string | null;
  sent: number;
  failed: number;
}

/**
 * Sends notifications without ever holding up a pass: `enqueue` only writes the durable outbox;
 * delivery happens in `drain` (the service runs it in the background, a CLI command once at its
 * end). Failed deliveries are retried with backoff, across restarts, and every attempt's outcome
 * is recorded in history (alert.sent / alert.failed) by the sink's origin, never its URL.
 */
export class Notifier {
  private sinks = new Map<string, NotifySink>();
  private readonly outbox: Outbox;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private background = false;
  private counts = { sent: 0, failed: 0 };
  /** Called after each delivery attempt (metrics). */
  onDelivery: ((sink: NotifySink, ok: boolean) => void) | undefined;

  constructor(
    private readonly history: HistoryStore,
    sinks: NotifySink[],
    private readonly actor: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.outbox = new Outbox(history.connection);
    this.setSinks(sinks);
  }

  /** A config reload: rows for sinks no longer configured are dropped when their turn comes. */
  setSinks(sinks: NotifySink[]): void {
    this.sinks = new Map(sinks.map((s) => [sinkKey(s), s]));
  }

  get configured(): boolean {
    return this.sinks.size > 0;
  }

  /** Queues one notification for every sink (or the named ones). Synchronous and cheap. */
  enqueue(n: Notification, only?: string[]): void {
    if (this.sinks.size === 0) return;
    const now = this.now();
    const body = JSON.stringify(n);
    for (const key of only ?? this.sinks.keys()) {
      this.outbox.add(key, body, now);
      if (n.target && n.fingerprint && /^drift\.(detected|changed|reminder)$/.test(n.event)) this.outbox.announced(n.target, key, n.fingerprint, now);
    }
    if (n.target && n.event === 'drift.resolved') this.outbox.forget(n.target);
    const dropped = this.outbox.trim();
    if (dropped > 0) {
      this.log.warn({ dropped }, 'notification outbox full: dropped the oldest');
      this.history.append({ type: 'alert.failed', actor: this.actor, reason: `notification outbox full: dropped the ${dropped} oldest undelivered notification(s)`, data: { dropped } });
    }
    this.wake();
  }

  /**
   * A drift still there, unchanged: each sink hears of it again once `remindEvery` has passed
   * since it last did. A drift seen for the first time by a sink (notifications just configured)
   * starts its clock without a message.
   */
  remindIfDue(target: string, fingerprint: string, build: () => Notification): void {
    const now = this.now();
    const due: string[] = [];
    for (const [key, sink] of this.sinks) {
      if (sink.remindEveryMs <= 0) continue;
      const last = this.outbox.lastAnnounced(target, key);
      if (!last || last.fingerprint !== fingerprint) {
        this.outbox.announced(target, key, fingerprint, now);
        continue;
      }
      if (now.getTime() - Date.parse(last.at) >= sink.remindEveryMs) due.push(key);
    }
    if (due.length > 0) this.enqueue(build(), due);
  }

  stats(): NotifierStats {
    return { pending: this.outbox.count(), oldest: this.outbox.oldest() ?? null, ...this.counts };
  }

  /** Delivers what is due, once each (failures wait for their retry time). Single flight. */
  drain(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.draining ??= this.deliverDue(deadline).finally(() => {
      this.draining = undefined;
      this.arm();
    });
    return this.draining;
  }

  /** The service: deliver in the background as notifications arrive and retries fall due. */
  start(): void {
    this.background = true;
    this.wake();
  }

  /** Stops background delivery after what is in flight, bounded; undelivered rows stay queued. */
  async stop(timeoutMs: number): Promise<void> {
    this.background = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.draining) await Promise.race([this.draining, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private wake(): void {
    if (!this.background) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), 0);
  }

  private arm(): void {
    if (!this.background || !this.history.isOpen) return;
    const next = this.outbox.nextDue();
    if (next === undefined) return;
    const wait = Math.min(Math.max(Date.parse(next) - this.now().getTime(), 250), 60_000);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), wait);
    this.timer.unref();
  }

  private async deliverDue(deadline: number): Promise<void> {
    for (let round = 0; round < 100 && Date.now() < deadline; round++) {
      if (!this.history.isOpen) return;
      const rows = this.outbox.due(this.now(), BATCH);
      if (rows.length === 0) return;
      // Sinks in parallel (a slow one delays no other), each sink's notifications in order.
      const bySink = new Map<string, typeof rows>();
      for (const row of rows) bySink.set(row.sink, [...(bySink.get(row.sink) ?? []), row]);
      await Promise.all(
        [...bySink.values()].map(async (queue) => {
          for (const row of queue) {
            if (Date.now() >= deadline || !this.history.isOpen) return;
            // A sink that just failed is likely down: its other notifications wait for the next round.
            if (!(await this.deliverOne(row.id, row.sink, row.body, row.attempts))) return;
          }
        }),
      );
    }
  }

  private async deliverOne(id: number, key: string, body: string, attempts: number): Promise<boolean> {
    const sink = this.sinks.get(key);
    const n = JSON.parse(body) as Notification;
    if (!sink) {
      this.outbox.done(id);
      this.log.info({ event: n.event, target: n.target }, 'notification dropped: its sink is no longer configured');
      return true;
    }
    const url = sink.url ?? (sink.urlEnv ? process.env[sink.urlEnv] : undefined);
    const delivery = url
      ? await post(url, sink.kind === 'slack' ? slackPayload(n) : n, sink.timeoutMs)
      : { ok: false as const, endpoint: `${sink.kind} (${sink.urlEnv})`, reason: `environment variable ${sink.urlEnv} is not set`, retry: true };
    if (!this.history.isOpen) return false;
    const attempt = attempts + 1;
    this.onDelivery?.(sink, delivery.ok);
    if (delivery.ok) {
      this.counts.sent++;
      this.outbox.done(id);
      this.history.append({ type: 'alert.sent', target: n.target, fingerprint: n.fingerprint, actor: this.actor, reason: `notified ${delivery.endpoint} (${sink.kind}) of ${n.event}${attempt > 1 ? ` at attempt ${attempt}` : ''}`, data: { event: n.eventId ?? null, about: n.event, endpoint: delivery.endpoint, sink: sink.kind, attempt } });
      return true;
    }
    this.counts.failed++;
    const delay = delivery.retry ? RETRY_DELAYS_MS[attempts] : undefined;
    const retryAt = delay === undefined ? null : new Date(this.now().getTime() + delay);
    if (retryAt) this.outbox.later(id, attempt, retryAt);
    else this.outbox.done(id);
    const then = retryAt ? `; retrying in ${formatMs(delay as number)} (attempt ${attempt} of ${RETRY_DELAYS_MS.length + 1})` : `; given up after ${attempt} attempt(s)`;
    this.log.warn({ endpoint: delivery.endpoint, sink: sink.kind, about: n.event, target: n.target, attempt, reason: delivery.reason, retryAt: retryAt?.toISOString() ?? null }, 'notification not delivered');
    this.history.append({ type: 'alert.failed', target: n.target, fingerprint: n.fingerprint, actor: this.actor, reason: `${delivery.endpoint}: ${delivery.reason}${then}`, data: { event: n.eventId ?? null, about: n.event, endpoint: delivery.endpoint, sink: sink.kind, attempt, retryAt: retryAt?.toISOString() ?? null } });
    return false;
  }
}

/** A sink's stable identity in the outbox: a hash, so no URL (a secret) is stored. */
export function sinkKey(s: NotifySink): string {
  return createHash('sha256').update(`${s.kind}\n${s.url ?? `env:${s.urlEnv}`}`).digest('hex').slice(0, 16);
}
