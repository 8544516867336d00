import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ConfigurationError, DriftwardenError, errorMessage, UsageError } from '../errors.js';
import { historyFilter } from '../history/filter.js';
import type { Logger } from '../log/logger.js';
import { selectTargets } from '../reconcile/pass.js';
import { openRuntime, type Runtime } from '../reconcile/runtime.js';
import { statusView } from '../reconcile/status-view.js';
import { handleGitHubWebhook } from './github-webhook.js';
import { createHttpServer, type Readiness } from './http.js';
import { ServiceMetrics } from './metrics.js';
import { PassRunner } from './runner.js';
import { Scheduler, scheduleGroups } from './scheduler.js';
import { LiveFileWatcher } from './watcher.js';

/** The JSON shapes' version (same as the CLI's `--json`). */
const SCHEMA_VERSION = 1;
const ACTOR = 'service';

/** The service could not start (port taken, ...): says what to change. */
export class ServiceError extends DriftwardenError {
  readonly code = 'service';
}

/**
 * `driftwarden run`: schedules passes, serves HTTP, delivers notifications, reloads its config on
 * SIGHUP and stops gracefully. One instance per state folder (the writer lock and SQLite history
 * are there); the CLI can still be used beside it during an incident.
 */
export class Service {
  private rt: Runtime;
  private readonly metrics: ServiceMetrics;
  private readonly runner: PassRunner;
  private readonly scheduler: Scheduler;
  private readonly watcher: LiveFileWatcher;
  private server: Server | undefined;
  private stopped = false;
  private configHash: string;

  private constructor(
    private readonly configFile: string,
    private config: Config,
    private readonly log: Logger,
    rt: Runtime,
  ) {
    this.configHash = fileHash(config.file);
    this.rt = rt;
    this.metrics = new ServiceMetrics({
      targets: () => this.config.targets,
      history: () => this.rt.history,
      notifications: () => (this.rt.history.isOpen ? this.rt.notifier.stats() : undefined),
      git: () => this.runner.lastGit,
    });
    this.wireNotifier();
    this.runner = new PassRunner(() => this.rt, this.metrics, log);
    this.scheduler = new Scheduler(log);
    this.watcher = new LiveFileWatcher(log, (targets, file) => {
      const outcome = this.runner.request({ trigger: 'watch', targets, detail: `${file} changed` });
      log.info({ targets, outcome }, 'live file changed');
    });
  }

  /** Loads the config, listens, schedules, and runs a first pass at once. */
  static async start(configFile: string, log: Logger): Promise<Service> {
    const config = loadConfig(configFile);
    const service = new Service(configFile, config, log, await openService(config, log));
    try {
      await service.listen();
    } catch (err) {
      service.rt.close();
      throw err;
    }
    service.rt.notifier.start();
    service.scheduler.start(scheduleGroups(config), (g) => service.runner.scheduled(g.targets, service.config.service.jitterMs));
    service.watcher.start(config);
    log.info({ config: config.file, targets: config.targets.length, listen: service.address, state: config.stateDir }, 'service started');
    service.runner.request({ trigger: 'startup' });
    return service;
  }

  get address(): string {
    const { host, port } = this.config.service.listen;
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /**
   * SIGHUP: a config that does not load is refused with its problems and the running one stays.
   * A good one takes effect between passes (targets, schedules, notifications, policies).
   */
  async reload(): Promise<boolean> {
    if (this.stopped) return false;
    let next: Config;
    try {
      next = loadConfig(this.configFile);
    } catch (err) {
      const problems = err instanceof ConfigurationError ? err.problems : [{ file: this.configFile, message: errorMessage(err) }];
      this.metrics.reload(false);
      this.log.error({ problems: problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message}`) }, 'config reload refused; the running config stays in effect');
      this.rt.history.append({ type: 'config.refused', actor: ACTOR, reason: `reload refused, the running config stays: ${err instanceof Error ? err.message : String(err)}`.slice(0, 2_000), data: { file: this.configFile } });
      return false;
    }
    const kept: string[] = [];
    if (next.service.listen.host !== this.config.service.listen.host || next.service.listen.port !== this.config.service.listen.port) kept.push('listen');
    if (next.stateDir !== this.config.stateDir) kept.push('state');
    if (kept.length) this.log.warn({ keys: kept }, 'these settings take effect only after a restart; the running values stay');
    const effective: Config = { ...next, stateDir: this.config.stateDir, service: { ...next.service, listen: this.config.service.listen } };
    await this.runner.exclusive(async () => {
      const old = this.rt;
      await old.notifier.stop(5_000);
      this.rt = await openService(effective, this.log);
      old.close();
      this.config = effective;
      this.wireNotifier();
      this.rt.notifier.start();
      this.scheduler.start(scheduleGroups(effective), (g) => this.runner.scheduled(g.targets, this.config.service.jitterMs));
      this.watcher.start(effective);
    });
    const hash = fileHash(effective.file);
    this.rt.history.append({ type: 'config.reloaded', actor: ACTOR, reason: `config reloaded (${effective.targets.length} target(s))${kept.length ? `; needs a restart for: ${kept.join(', ')}` : ''}`, data: { file: effective.file, previous: this.configHash, sha256: hash } });
    this.configHash = hash;
    this.metrics.reload(true);
    this.log.info({ targets: effective.targets.length }, 'config reloaded');
    return true;
  }

  /**
   * SIGTERM/SIGINT: no new passes, the one in flight finishes (up to `shutdownTimeout`),
   * notifications in flight get a few seconds (the rest stay queued), the database is closed.
   */
  async stop(signal: string): Promise<{ clean: boolean }> {
    if (this.stopped) return { clean: true };
    this.stopped = true;
    this.log.info({ signal, passRunning: this.runner.running }, 'stopping');
    this.scheduler.stop();
    this.watcher.stop();
    const closing = this.server ? new Promise<void>((r) => this.server?.close(() => r())) : Promise.resolve();
    this.server?.closeIdleConnections();
    const clean = await this.runner.stop(this.config.service.shutdownTimeoutMs);
    if (!clean) this.log.warn({ timeoutMs: this.config.service.shutdownTimeoutMs }, 'the pass in flight did not finish in time; stopping anyway (the next start checks again, and says so if a revert was cut short)');
    this.runner.releaseLocks();
    await this.rt.notifier.stop(5_000);
    this.server?.closeAllConnections();
    await Promise.race([closing, new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.rt.close();
    this.log.info({ clean }, 'stopped');
    return { clean };
  }

  private wireNotifier(): void {
    this.rt.notifier.onDelivery = (sink, ok) => this.metrics.delivery(sink.kind, ok);
  }

  private readiness(): Readiness {
    const database = this.rt.history.isOpen;
    const git = this.runner.gitFetched;
    return { ready: database && git && !this.stopped, checks: { config: true, git: git ? (this.runner.lastGit.stale ? 'stale' : true) : false, database, stopping: this.stopped } };
  }


  private async listen(): Promise<void> {
    const server = createHttpServer({
      log: this.log,
      readiness: () => this.readiness(),
      metrics: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.text() }),
      status: () => statusView(this.config, this.rt.history, SCHEMA_VERSION),
      history: (q) => ({ schemaVersion: SCHEMA_VERSION, command: 'history', events: this.rt.history.query(historyFilter(q, new Date())) }),
      reconcile: (targets) => {
        if (targets) selectTargets(this.config.targets, targets);
        if (this.stopped) throw new UsageError('the service is stopping');
        const outcome = this.runner.request({ trigger: 'api', ...(targets ? { targets } : {}), detail: 'POST /reconcile' });
        this.log.info({ targets: targets ?? 'all', outcome }, 'pass asked for over HTTP');
        return { outcome, targets: targets ?? 'all' };
      },
      webhook: async (headers, body) => {
        const secret = process.env[this.config.service.webhookSecretEnv];
        if (!secret) return { kind: 'disabled', reason: `GitHub webhooks are off: set ${this.config.service.webhookSecretEnv} to the webhook's secret` };
        return handleGitHubWebhook(secret, headers, body, this.config, this.rt.history);
      },
      request: (req) => this.runner.request(req),
      writeToken: () => requiredToken(this.config.service.listen.host, this.config.service.apiTokenEnv, process.env),
    });
    const { host, port } = this.config.service.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'the address is in use (another driftwarden?)' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : errorMessage(err);
        reject(new ServiceError(`cannot listen on ${this.address}: ${why}; change \`listen\` in ${this.config.file}`));
      });
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.log.error({ error: errorMessage(err) }, 'http server error'));
    this.server = server;
  }
}

/**
 * The bearer token POST /reconcile needs: the env var's value when set (also on loopback);
 * none on loopback without it; beyond loopback without it, write endpoints are off (`missing`).
 */
export function requiredToken(host: string, envName: string, env: NodeJS.ProcessEnv): string | undefined | { missing: string } {
  const token = env[envName];
  if (token) return token;
  return isLoopback(host) ? undefined : { missing: envName };
}

async function openService(config: Config, log: Logger): Promise<Runtime> {
  const rt = await openRuntime(config, ACTOR, log);
  for (const w of rt.warnings) log.warn({}, w);
  return rt;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function fileHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return '';
  }
}
