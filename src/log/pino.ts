import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger, LogLevel } from './logger.js';

/** Field names that must never reach a log line, wherever they appear (defence in depth). */
const SECRET_FIELDS = ['token', 'secret', 'password', 'authorization', 'url', '*.token', '*.secret', '*.password', '*.authorization', 'headers.authorization'];

/**
 * Structured logs: one JSON object per line (a fixed `msg` plus fields) for machines; the same
 * records printed for people when asked (`--log-format pretty`, the default on a terminal).
 * Synchronous, so nothing is lost at exit.
 */
export function createLogger(options: { level: LogLevel; human?: boolean; stream?: NodeJS.WritableStream }): Logger {
  const base = { level: options.level, base: { service: 'driftwarden' }, redact: { paths: SECRET_FIELDS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.human) {
    return pino(base, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', destination: options.stream ?? 1 }));
  }
  return pino(base, options.stream ?? pino.destination({ dest: 1, sync: true }));
}
