import type { SeverityRule } from '../diff/severity.js';
import type { RedactionOptions } from '../diff/redact.js';
import type { TargetBase } from '../providers/provider.js';

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
  notify: { webhook: string; timeoutMs: number }[];
  severity: SeverityRule[];
  /** Durations in milliseconds. */
  revert: RevertPolicy;
  redact: Required<RedactionOptions>;
  targets: Target[];
}

export interface RevertPolicy {
  maxReverts: number;
  windowMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}
