/**
 * The error tree. Every error that crosses a boundary is one of these, so callers
 * branch on the class (never on message text) and every message says what to do.
 */
export abstract class DriftwardenError extends Error {
  /** Stable machine-readable code, shown in `--json` output. */
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem in a configuration file, located as precisely as the source allows. */
export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  /** Dotted field path, e.g. `targets[0].provider`. */
  field?: string;
  message: string;
}

/** The config file is missing, unreadable or invalid. Carries every problem found, not just the first. */
export class ConfigurationError extends DriftwardenError {
  readonly code = 'config';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** A config text (approved or live) that cannot be parsed. `line` is 1-based. */
export class ParseError extends DriftwardenError {
  readonly code = 'parse';
  constructor(
    readonly origin: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${origin}${line ? `:${line}` : ''}: ${detail}`);
  }
}

/** The approved source could not be read (clone failed, file or commit missing). */
export class GitSourceError extends DriftwardenError {
  readonly code = 'git';
}

/** The live configuration could not be observed (missing file, unreachable API, timeout). */
export class ObserveError extends DriftwardenError {
  readonly code = 'observe';
}

/** Another process holds the state folder's writer lock. */
export class LockedError extends DriftwardenError {
  readonly code = 'locked';
}

/** The history database is unusable or was tampered with. */
export class HistoryError extends DriftwardenError {
  readonly code = 'history';
}

/** A user asked for something that does not exist (unknown target, bad flag value). */
export class UsageError extends DriftwardenError {
  readonly code = 'usage';
}

/** The traffic test could not run (a config it cannot rewrite safely, a balancer that would not start). */
export class TrafficTestError extends DriftwardenError {
  readonly code = 'traffic';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
