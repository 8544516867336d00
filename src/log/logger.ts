/**
 * The logging interface the code writes to: a fixed message plus fields (pino's shape). The
 * service gets a pino logger (log/pino.ts, loaded only by `run`); CLI commands, whose output is
 * for people, get the silent one.
 */
export interface Logger {
  fatal(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  debug(fields: object, msg?: string): void;
  child(bindings: object): Logger;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const nothing = (): void => undefined;

export const silentLogger: Logger = { fatal: nothing, error: nothing, warn: nothing, info: nothing, debug: nothing, child: () => silentLogger };
