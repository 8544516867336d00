import cron from 'node-cron';
import type { z as Zod } from 'zod';
import type { ZodApi } from './zod.js';
import { parseDurationMs } from './duration.js';
import { CHANGE_KINDS, SEVERITIES } from '../diff/severity.js';
import { SERVER_STATES } from '../gate/policy.js';


export const TARGET_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** host:port, e.g. 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464. */
export const LISTEN = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/**
 * The single source of truth for `driftwarden.yaml`, built with zod when a config is validated
 * (see zod.ts). Every object is strict: unknown keys are errors.
 */
export function configSchemas(z: ZodApi) {
  const severityRule = z
    .object({
      path: z.string().min(1),
      kind: z.array(z.enum(CHANGE_KINDS)).optional(),
      severity: z.enum(SEVERITIES),
    })
    .strict();

  const regexString = z.string().refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

  const duration = z.string().refine((s) => parseDurationMs(s) !== undefined, { message: 'a duration such as 2s, 5m, 1h' });

  /** Guard rails of automatic reverts (Argo CD's self-heal without them reverts forever). */
  const revertPolicy = z
    .object({
      /** More applied reverts than this within `window` means another writer is fighting back. */
      maxReverts: z.number().int().min(1).max(100).default(3),
      window: duration.default('1h'),
      /** Wait after a failed revert; multiplied by 3 after each further failure, up to `backoffMax`. */
      backoffInitial: duration.default('2s'),
      backoffMax: duration.default('5m'),
    })
    .strict();

  /** `driftwarden gate`: the traffic test (see gate/traffic.ts); `true` takes every default. */
  const trafficTest = z
    .object({
      /** Requests sent through each frontend. */
      requests: z.number().int().min(10).max(100_000).default(1_000),
      /** How far (share of all requests, 0.05 = 5 points) a server may be from its promised share. */
      tolerance: z.number().positive().max(1).default(0.05),
      /** The busiest server of a pool may take at most this many times an even share of it. */
      maxSkew: z.number().min(1).max(1_000).default(2),
    })
    .strict();
  const gateSettings = z
    .object({ traffic: z.union([z.boolean(), trafficTest]).default(false) })
    .strict();

  /** One rule of `policy:`, checked by `driftwarden gate` and shown in drift PRs (see gate/policy.ts). */
  const policyRule = z
    .object({
      name: z.string().min(1),
      /** Glob over target names, e.g. "prod-*" (default: every target). */
      targets: z.string().min(1).optional(),
      allow: z.object({ algorithm: z.array(z.string().min(1)).min(1).optional() }).strict().optional(),
      forbid: z
        .object({
          algorithm: z.array(z.string().min(1)).min(1).optional(),
          serverState: z.array(z.enum(SERVER_STATES)).min(1).optional(),
          /** Semantic path globs that must not be set. */
          paths: z.array(z.string().min(1)).min(1).optional(),
          /** Per path glob, words its value must not hold. */
          values: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
        })
        .strict()
        .optional(),
      require: z
        .object({
          minServersPerPool: z.number().int().min(1).optional(),
          healthChecks: z.boolean().optional(),
          /** Semantic path globs that must each match a setting. */
          paths: z.array(z.string().min(1)).min(1).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((r) => [r.allow, r.forbid, r.require].some((x) => x !== undefined && Object.keys(x).length > 0), {
      message: 'a rule needs at least one of allow, forbid, require (e.g. allow: { algorithm: [roundrobin] })',
    });

  /** Fields every target has; each provider adds its own (see providers/registry.ts). */
  const targetBaseShape = {
    name: z.string().regex(TARGET_NAME, 'lowercase letters, digits and dashes (e.g. edge-lb)'),
    desired: z.string().min(1, 'the path of the approved file inside the Git repository'),
    provider: z.string(),
    mode: z.enum(['alert', 'pr', 'revert']).default('alert'),
    /** mode pr: what a drift PR closed without merging means (revert goes through every guard rail). */
    onReject: z.enum(['revert', 'alert']).default('revert'),
    ignore: z.array(z.string().min(1)).default([]),
    severity: z.array(severityRule).default([]),
    /** `driftwarden run`: check at once when the live config file changes (local files only). */
    watch: z.boolean().default(true),
    /** `driftwarden gate`: extra checks of this target's proposed config (the traffic test). */
    gate: gateSettings.optional(),
    /** `driftwarden run`: this target's own cron schedule (default: the top-level `schedule`). */
    schedule: z
      .string()
      .refine((s) => cron.validate(s), { message: 'not a valid cron expression (e.g. "*/5 * * * *")' })
      .optional(),
  };

  const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable (never the secret itself)');
  const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

  /** One notification sink: a generic JSON webhook or a Slack incoming webhook, by URL or from an env var. */
  const notifySink = z
    .object({
      webhook: httpUrl.optional(),
      slack: httpUrl.optional(),
      /** The URL is read from this environment variable (Slack URLs are secrets). */
      webhookEnv: envName.optional(),
      slackEnv: envName.optional(),
      timeoutMs: z.number().int().positive().max(60_000).default(5_000),
      /** A drift that stays the same is announced again at most this often. */
      remindEvery: duration.default('24h'),
    })
    .strict()
    .refine((n) => [n.webhook, n.slack, n.webhookEnv, n.slackEnv].filter((v) => v !== undefined).length === 1, {
      message: 'give exactly one of webhook, slack, webhookEnv, slackEnv',
    });

  const configSchema = z
    .object({
      git: z
        .object({
          repo: z.string().min(1, 'a local path or a URL of the repository holding approved configs'),
          branch: z.string().min(1).default('main'),
          tokenEnv: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable (never the token itself)')
            .optional(),
        })
        .strict(),
      state: z.string().min(1).default('.driftwarden'),
      github: z
        .object({
          repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name of the repository in git.repo, e.g. acme/lb-config'),
          tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable (never the token itself)').default('GITHUB_TOKEN'),
          apiUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://api.github.com' }).default('https://api.github.com'),
          labels: z.array(z.string().min(1)).default([]),
          reviewers: z.array(z.string().min(1)).default([]),
        })
        .strict()
        .optional(),
      schedule: z
        .string()
        .refine((s) => cron.validate(s), { message: 'not a valid cron expression (e.g. "*/5 * * * *")' })
        .default('*/5 * * * *'),
      notify: z.array(notifySink).default([]),
      /** `driftwarden run`: a random delay of up to this much before each scheduled pass. */
      jitter: duration.default('0s'),
      /** `driftwarden run` and `reconcile`: targets checked at once. */
      concurrency: z.number().int().min(1).max(64).default(8),
      /** Longest wait for one target's live config (its load balancer's answer). */
      targetTimeout: duration.default('30s'),
      /** `driftwarden run`: on SIGTERM, how long the pass in flight may take to finish. */
      shutdownTimeout: duration.default('30s'),
      /** `driftwarden run`: the HTTP endpoint (health, metrics, status, webhooks). */
      listen: z
        .string()
        .refine((s) => LISTEN.test(s) && Number(LISTEN.exec(s)?.[3]) <= 65_535, { message: 'host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 in a container)' })
        .default('127.0.0.1:9464'),
      /** Bearer token for POST /reconcile when `listen` is not a loopback address. */
      apiTokenEnv: envName.default('DRIFTWARDEN_API_TOKEN'),
      /** Secret that GitHub signs webhook deliveries with. */
      webhookSecretEnv: envName.default('DRIFTWARDEN_WEBHOOK_SECRET'),
      severity: z.array(severityRule).default([]),
      revert: revertPolicy.default({ maxReverts: 3, window: '1h', backoffInitial: '2s', backoffMax: '5m' }),
      redact: z
        .object({ keys: z.array(regexString).default([]), patterns: z.array(regexString).default([]) })
        .strict()
        .default({ keys: [], patterns: [] }),
      /** Rules every proposed config must keep (`driftwarden gate`, drift PRs). */
      policy: z.array(policyRule).default([]),
      targets: z.array(z.record(z.string(), z.unknown())).min(1, 'at least one target'),
    })
    .strict();

  return { configSchema, targetBaseShape, severityRule, policyRule };
}

export type ConfigSchemas = ReturnType<typeof configSchemas>;

export type RawConfig = Zod.infer<ConfigSchemas['configSchema']>;
export type SeverityRuleConfig = Zod.infer<ConfigSchemas['severityRule']>;
