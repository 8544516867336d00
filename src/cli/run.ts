import { ConfigurationError, errorMessage } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { createLogger } from '../log/pino.js';
import { Service } from '../service/service.js';
import { UsageError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { EXIT, type Io } from './io.js';

export interface RunOptions {
  logLevel?: string;
  logFormat?: string;
}

/**
 * `driftwarden run`: the long-running service. Returns when it has stopped (SIGTERM/SIGINT): 0
 * after a graceful stop. A second signal while stopping exits at once with 1.
 */
export async function runCommand(io: Io, global: GlobalOptions, opts: RunOptions): Promise<number> {
  const level = (opts.logLevel ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(opts.logLevel)}`);
  const format = opts.logFormat ?? (io.isTty ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--log-format must be json or pretty; got ${JSON.stringify(opts.logFormat)}`);
  const log = createLogger({ level, human: format === 'pretty' });
  let service: Service;
  try {
    service = await Service.start(global.config, log);
  } catch (err) {
    if (err instanceof ConfigurationError) throw err; // printed with every problem by main()
    log.fatal({ error: errorMessage(err) }, 'cannot start');
    throw err;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal while stopping: exiting now');
        process.exit(EXIT.error);
      }
      stopping = true;
      service.stop(signal).then(
        () => resolve(EXIT.ok),
        (err: unknown) => {
          log.error({ error: errorMessage(err) }, 'error while stopping');
          resolve(EXIT.error);
        },
      );
    };
    const hup = () => {
      if (stopping) return;
      log.info({}, 'SIGHUP: reloading the config');
      void service.reload().catch((err: unknown) => log.error({ error: errorMessage(err) }, 'config reload failed'));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', hup);
  });
}
