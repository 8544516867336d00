import type { SeverityRule } from '../diff/severity.js';
import type { RedactionOptions } from '../diff/redact.js';
import type { TargetBase } from '../providers/provider.js';
import type { PolicyRule } from '../gate/policy.js';

/** A target after validation: common fields, resolved paths, and its provider's own options. */
export type Target = TargetBase & { severity: SeverityRule[] } & Record<string, unknown>;

/** A loaded, validated configuration with every relative path resolved against `baseDir`. */
export interface Config {
  file: string;
  baseDir: string;
  git: { repo: string; branch: string; tokenEnv?: string };
  /** Where drift pull requests go (mode pr). */
  github?: { repo: string; tokenEnv: string; apiUrl: string; labels: string[]; reviewers: string[] };
  stateDir: string;
  schedule: string;
  notify: NotifySink[];
  /** `driftwarden run` (durations in milliseconds). */
  service: ServiceSettings;
  severity: SeverityRule[];
  /** Durations in milliseconds. */
  revert: RevertPolicy;
  redact: Required<RedactionOptions>;
  /** Rules every proposed config must keep (see gate/policy.ts). */
  policy: PolicyRule[];
  targets: Target[];
}

export interface RevertPolicy {
  maxReverts: number;
  windowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface NotifySink {
  kind: 'webhook' | 'slack';
  /** The URL itself, or the env var that holds it (read when sending). */
  url?: string;
  urlEnv?: string;
  timeoutMs: number;
  remindEveryMs: number;
}

export interface ServiceSettings {
  jitterMs: number;
  concurrency: number;
  targetTimeoutMs: number;
  shutdownTimeoutMs: number;
  listen: { host: string; port: number };
  apiTokenEnv: string;
  webhookSecretEnv: string;
}
