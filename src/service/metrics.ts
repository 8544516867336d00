import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Target } from '../config/types.js';
import type { Severity } from '../diff/severity.js';
import type { GitState } from '../git/source.js';
import type { HistoryStore } from '../history/store.js';
import type { ActionReport } from '../reconcile/act.js';
import type { TargetCheck } from '../reconcile/check-target.js';
import type { NotifierStats } from '../notify/notifier.js';

/** `driftwarden_drift_severity`: 0 when in sync, then low 1 .. critical 4. */
export const SEVERITY_VALUE: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export type PassTrigger = 'startup' | 'schedule' | 'webhook' | 'api' | 'reload' | 'watch';

interface Sources {
  targets: () => Target[];
  history: () => HistoryStore | undefined;
  notifications: () => NotifierStats | undefined;
  git: () => { lastSuccess: number | null; stale: boolean };
}

/**
 * The service's Prometheus metrics, in a registry of its own. Per-target gauges are read from
 * the durable target state at scrape time, so they are right after a restart and never hold a
 * target that was removed from the config.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly checks: Counter<'target' | 'result'>;
  private readonly errors: Counter<'target' | 'stage'>;
  private readonly reverts: Counter<'target' | 'result'>;
  private readonly prs: Counter<'target' | 'action'>;
  private readonly passes: Counter<'trigger' | 'result'>;
  private readonly skipped: Counter<'reason'>;
  private readonly passSeconds: Histogram<'trigger'>;
  private readonly targetSeconds: Histogram<'target'>;
  private readonly gitFailures: Counter;
  private readonly deliveries: Counter<'sink' | 'result'>;
  private readonly reloads: Counter<'result'>;

  constructor(sources: Sources) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'driftwarden_' });
    const perTarget = (name: string, help: string, value: (s: ReturnType<HistoryStore['state']>, now: number) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['target'],
        registers: r,
        collect() {
          this.reset();
          const history = sources.history();
          if (!history?.isOpen) return;
          const now = Date.now();
          for (const t of sources.targets()) {
            const v = value(history.state(t.name), now);
            if (v !== null) this.set({ target: t.name }, v);
          }
        },
      });
    perTarget('driftwarden_target_in_sync', '1 when the live config equals the approved one; 0 when drifted or it cannot be checked', (s) => (s.status === 'unknown' ? null : s.status === 'in-sync' ? 1 : 0));
    perTarget('driftwarden_target_check_ok', '1 when the last check could read and compare both sides; 0 when it failed', (s) => (s.status === 'unknown' ? null : s.status === 'error' ? 0 : 1));
    perTarget('driftwarden_drift_severity', 'Severity of the current drift: 0 none, 1 low, 2 medium, 3 high, 4 critical', (s) => (s.status === 'unknown' ? null : s.status === 'in-sync' ? 0 : s.severity ? SEVERITY_VALUE[s.severity] : 0));
    perTarget('driftwarden_drift_age_seconds', 'Seconds since the current drift began; 0 when in sync', (s, now) => (s.status === 'drifted' && s.since ? Math.max(0, (now - Date.parse(s.since)) / 1000) : s.status === 'unknown' ? null : 0));
    perTarget('driftwarden_last_check_timestamp_seconds', 'Unix time of the last check of the target', (s) => (s.lastChecked ? Date.parse(s.lastChecked) / 1000 : null));
    perTarget('driftwarden_target_paused', '1 while automation is paused or contested (a person must act)', (s) => (s.pause || s.contested ? 1 : 0));
    this.checks = new Counter({ name: 'driftwarden_checks_total', help: 'Target checks by result', labelNames: ['target', 'result'], registers: r });
    this.errors = new Counter({ name: 'driftwarden_errors_total', help: 'Failed target checks by stage', labelNames: ['target', 'stage'], registers: r });
    this.reverts = new Counter({ name: 'driftwarden_reverts_total', help: 'Reverts by result (applied, invalid, rolled-back, failed, conflict)', labelNames: ['target', 'result'], registers: r });
    this.prs = new Counter({ name: 'driftwarden_pull_requests_total', help: 'Drift pull request actions (opened, updated, closed, unchanged, failed)', labelNames: ['target', 'action'], registers: r });
    this.passes = new Counter({ name: 'driftwarden_passes_total', help: 'Reconcile passes by trigger and result', labelNames: ['trigger', 'result'], registers: r });
    this.skipped = new Counter({ name: 'driftwarden_passes_skipped_total', help: 'Passes not run: overlap (the previous one was still running) or locked (a CLI command held the state folder)', labelNames: ['reason'], registers: r });
    this.passSeconds = new Histogram({ name: 'driftwarden_pass_duration_seconds', help: 'Duration of reconcile passes', labelNames: ['trigger'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: r });
    this.targetSeconds = new Histogram({ name: 'driftwarden_target_check_duration_seconds', help: 'Duration of one target: observe, compare, decide, act', labelNames: ['target'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: r });
    this.gitFailures = new Counter({ name: 'driftwarden_git_fetch_failures_total', help: 'Git fetches that failed (the last fetched commit was used, if any)', registers: r });
    new Gauge({ name: 'driftwarden_git_stale', help: '1 while the approved configs come from an earlier fetch because fetching fails', registers: r, collect() { this.set(sources.git().stale ? 1 : 0); } });
    new Gauge({
      name: 'driftwarden_git_last_fetch_timestamp_seconds',
      help: 'Unix time of the last successful Git fetch',
      registers: r,
      collect() {
        const at = sources.git().lastSuccess;
        if (at !== null) this.set(at / 1000);
      },
    });
    this.deliveries = new Counter({ name: 'driftwarden_notifications_total', help: 'Notification delivery attempts by sink kind and result', labelNames: ['sink', 'result'], registers: r });
    new Gauge({ name: 'driftwarden_notifications_pending', help: 'Notifications waiting for delivery or a retry', registers: r, collect() { this.set(sources.notifications()?.pending ?? 0); } });
    this.reloads = new Counter({ name: 'driftwarden_config_reloads_total', help: 'Config reloads (SIGHUP) by result', labelNames: ['result'], registers: r });
  }

  target(check: TargetCheck, action: ActionReport | null, seconds: number): void {
    const name = check.target.name;
    const r = check.result;
    this.checks.inc({ target: name, result: r.status });
    if (r.error) this.errors.inc({ target: name, stage: r.error.stage });
    this.targetSeconds.observe({ target: name }, seconds);
    if (!action) return;
    if (action.kind === 'reverted') this.reverts.inc({ target: name, result: 'applied' });
    if (action.kind === 'revert-failed') this.reverts.inc({ target: name, result: action.outcome.kind });
    if (action.kind === 'pr') this.prs.inc({ target: name, action: action.outcome });
    if (action.kind === 'pr-failed') this.prs.inc({ target: name, action: 'failed' });
  }

  pass(trigger: PassTrigger, seconds: number, ok: boolean): void {
    this.passes.inc({ trigger, result: ok ? 'ok' : 'error' });
    this.passSeconds.observe({ trigger }, seconds);
  }

  skip(reason: 'overlap' | 'locked'): void {
    this.skipped.inc({ reason });
  }

  git(state: GitState | null): void {
    if (!state || state.stale) this.gitFailures.inc();
  }

  delivery(sink: string, ok: boolean): void {
    this.deliveries.inc({ sink, result: ok ? 'sent' : 'failed' });
  }

  reload(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'ok' : 'refused' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
