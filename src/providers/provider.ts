import type { z } from 'zod';
import type { ZodApi } from '../config/zod.js';
import type { Finding } from '../diff/pools.js';
import type { Narrowed } from '../diff/narrow.js';
import type { ConfigTree } from '../diff/tree.js';

/** What a provider read from the running system: the live config text, and where it came from. */
export interface LiveSnapshot {
  text: string;
  /** Where the text came from, for messages: a file path or an API URL. */
  origin: string;
  /** Provider-specific facts shown to the user (pid, reload time, ...). */
  facts: Record<string, string | number>;
  /** Differences between the running program and its own config (process and runtime scope). */
  findings?: Finding[];
  /** Other live files the config reads (nginx includes), by path relative to the main file's folder. */
  files?: Map<string, string>;
}

/** The files beside a main config file: the live ones, or the approved commit's in Git. */
export interface FileSource {
  /** Every file, as a path relative to the main config's folder. */
  list(): Promise<string[]>;
  read(relative: string): Promise<string | null>;
  /** How to name the file in messages (a live path, or `path@commit`). */
  label(relative: string): string;
}

/** A problem the native checker reported, mapped to the checked text's line where it says one. */
export interface ValidationMessage {
  line?: number;
  message: string;
}

export type ValidationResult = { ok: true; warnings: ValidationMessage[] } | { ok: false; messages: ValidationMessage[] };

/** What an apply came to. Only `applied` means the running program now runs the approved config. */
export type ApplyOutcome =
  | { kind: 'applied'; steps: string[] }
  | { kind: 'invalid'; messages: ValidationMessage[]; steps: string[] }
  | { kind: 'conflict'; reason: string; steps: string[] }
  | { kind: 'rolled-back'; stage: 'write' | 'reload' | 'verify'; reason: string; steps: string[] }
  | { kind: 'failed'; stage: 'write' | 'reload' | 'verify' | 'rollback'; reason: string; steps: string[] };

/** The settings every target has, whatever its provider. */
export interface TargetBase {
  name: string;
  desired: string;
  provider: string;
  mode: 'alert' | 'pr' | 'revert';
  onReject?: 'revert' | 'alert';
  ignore: string[];
  /** Its own cron schedule under `driftwarden run`. */
  schedule?: string;
  /** `run`: check at once when the live file changes (default true where there is a live file). */
  watch?: boolean;
  /** `gate`: the traffic test, off (false), with defaults (true) or with settings. */
  gate?: { traffic: boolean | { requests: number; tolerance: number; maxSkew: number } };
}

/** Context handed to providers: where relative paths start, and a deadline. */
export interface ProviderContext {
  baseDir: string;
  signal: AbortSignal;
}

/** What the traffic test (gate/traffic/run.ts) hands a provider's TrafficAdapter. */
export interface TrafficInput {
  /** The proposed config and its name in messages. */
  text: string;
  origin: string;
  /** A temp folder of the test's own: the rewritten config, pid and logs go here. */
  dir: string;
  /** The files beside the config at the proposed commit (nginx includes), and the live config's folder they sit in. */
  files?: FileSource;
  configDir: string;
  /** The loopback port of the echo server standing in for a server (`backends.api`, `api-1`). */
  echo(pool: string, server: string): Promise<number>;
  /** A free loopback port for a listener. */
  port(): Promise<number>;
  /** The target's settings (Caddy adapts a Caddyfile with its `binary`). */
  target: Record<string, unknown>;
}

/** A proposed config rewritten to run here, and how to reach it. */
export interface TrafficPlan {
  /** The rewritten config file, inside TrafficInput.dir. */
  config: string;
  /** Every listener, bound to a loopback port, with a path worth requesting there (and the Host to send). */
  frontends: { name: string; port: number; path: string; host?: string }[];
  /** What the rewrite changed or left out that a reader should know (dropped includes, ...). */
  notes: string[];
}

/**
 * Runs a load balancer on a proposed config with every listener on loopback and every server
 * replaced by an echo server, so that real requests show how it spreads them. Nothing of the
 * proposed config may reach a real address: a server the rewrite cannot replace is an error.
 */
export interface TrafficAdapter {
  rewrite(input: TrafficInput): Promise<TrafficPlan>;
  /** The command that runs the rewritten config in the foreground (stopped with SIGTERM). */
  command(plan: TrafficPlan, dir: string, binary: string): { cmd: string; args: string[] };
}

/**
 * One kind of load balancer (or plain file). Registered once in `registry.ts`.
 * `observe` reads and never writes; `parse` is pure and throws ParseError with a line.
 */
export interface Provider<Options extends object = Record<string, unknown>> {
  readonly kind: string;
  /**
   * The provider's own target fields, merged into the target schema (unknown keys are errors);
   * built with the zod it is given, when a config is validated.
   */
  readonly options: (z: ZodApi) => z.ZodRawShape;
  /** Option names holding file paths, resolved against the config file's folder. */
  readonly pathOptions?: readonly string[];
  /** The option naming the live config file: `run` watches it and checks the target when it changes. */
  readonly watchOption?: string;
  observe(target: TargetBase & Options, ctx: ProviderContext): Promise<LiveSnapshot>;
  /** Pure for text formats; may run the native adapter (Caddyfile -> JSON), hence the Promise. */
  parse(text: string, origin: string, target: TargetBase & Options): ConfigTree | Promise<ConfigTree>;
  /**
   * Parsing may run another program (`caddy adapt`): its trees are worth keeping between passes
   * whatever the size of the text. Other parses are kept only for big texts (see TreeCache).
   */
  readonly costlyParse?: boolean;
  /**
   * For configs spread over several files (nginx `include`): parse with the files they include.
   * `expand` limits which includes are followed, so both sides follow the same ones; the tree's
   * `included` says which were.
   */
  parseAll?(text: string, origin: string, target: TargetBase & Options, files: FileSource, expand?: ReadonlySet<string>): Promise<ConfigTree>;
  /**
   * Both texts with the blocks that are equal on both sides blanked (see diff/narrow.ts), or
   * undefined when narrowing does not apply. Parsing and comparing the narrowed texts must give
   * the comparison of the full ones.
   */
  narrow?(approved: string, live: string): Narrowed | undefined;
  /** The native checker (`haproxy -c`, `nginx -t`, `caddy validate`) on a candidate text. */
  validate?(text: string, target: TargetBase & Options, ctx: ProviderContext): Promise<ValidationResult>;
  /** The gate's traffic test (see TrafficAdapter); absent where it does not apply. */
  readonly traffic?: TrafficAdapter;
  /** Writes, reloads, verifies the running program, and rolls back on failure. */
  apply?(target: TargetBase & Options, approved: string, ctx: ProviderContext): Promise<ApplyOutcome>;
}
