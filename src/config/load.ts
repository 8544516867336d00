import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node } from 'yaml';

// The YAML library is loaded when a config is parsed, not when it comes from the parse cache.
const requireYaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');
import type { z } from 'zod';
import { ConfigurationError, type ConfigProblem } from '../errors.js';
import { PROVIDERS, providerKinds } from '../providers/registry.js';
import { parseDurationMs } from './duration.js';
import { ParseCache } from './parse-cache.js';
import { configSchemas, LISTEN, type ConfigSchemas } from './schema.js';
import { zod } from './zod.js';
import type { Config, Target } from './types.js';
import type { PolicyRule } from '../gate/policy.js';

type Path = (string | number)[];

/** Reads, parses and validates a config file; throws ConfigurationError listing every problem. */
export function loadConfig(file: string): Config {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'config file not found; create driftwarden.yaml or pass --config PATH'
        : `cannot read config file (${code ?? (err as Error).message})`;
    throw new ConfigurationError([{ file: path, message }]);
  }
  return parseConfigCached(text, path);
}

/** Validates config text as if read from `file` (used by tests and `validate`). */
export function parseConfig(text: string, file: string): Config {
  const { data, locate } = parseYaml(text, file);
  return buildConfig(data, file, locate);
}

/**
 * Like parseConfig, but answered from the cache while the text, the path and the build are the
 * same as last time (a fleet's config with thousands of targets takes longer to parse and validate
 * than a whole check). A problem is always reported from a full parse, with its line.
 */
function parseConfigCached(text: string, file: string): Config {
  const cache = new ParseCache(file, text);
  const cached = cache.read();
  if (cached?.validated !== undefined && looksLikeConfig(cached.validated, file)) return cached.validated;
  if (cached !== undefined) {
    try {
      const config = buildConfig(cached.data, file, () => ({ file }));
      cache.write(cached.data, keepable(config));
      return config;
    } catch {
      /* reported below, with lines */
    }
  }
  const { data, locate } = parseYaml(text, file);
  const config = buildConfig(data, file, locate);
  cache.write(data, keepable(config));
  return config;
}

/** The config, when JSON gives it back exactly (what the cache can hold); otherwise undefined. */
function keepable(config: Config): Config | undefined {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(config)), config) ? config : undefined;
}

/** A cache entry damaged on disk is a miss, not a config: the shape that every use relies on. */
function looksLikeConfig(value: unknown, file: string): value is Config {
  const c = value as Partial<Config> | null;
  return (
    c !== null &&
    typeof c === 'object' &&
    c.file === file &&
    typeof c.git?.repo === 'string' &&
    typeof c.stateDir === 'string' &&
    Array.isArray(c.targets) &&
    c.targets.every((t) => t !== null && typeof t === 'object' && typeof t.name === 'string' && typeof t.provider === 'string') &&
    typeof c.service?.concurrency === 'number' &&
    typeof c.revert?.windowMs === 'number' &&
    Array.isArray(c.severity) &&
    Array.isArray(c.notify) &&
    Array.isArray(c.policy) &&
    typeof c.redact === 'object'
  );
}

function parseYaml(text: string, file: string): { data: object; locate: Locate } {
  const { LineCounter, parseDocument } = requireYaml();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const locate = locator(doc, counter, file);
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      doc.errors.map((e) => ({
        file,
        ...(e.pos ? { line: counter.linePos(e.pos[0]).line, column: counter.linePos(e.pos[0]).col } : {}),
        message: `invalid YAML (${e.code.toLowerCase().replace(/_/g, ' ')})`,
      })),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigurationError([{ file, line: 1, message: 'expected a mapping with `git` and `targets`' }]);
  }
  return { data, locate };
}

/** The schemas, built on the first validation (zod is loaded then). */
let schemas: ConfigSchemas | undefined;
const built = (): ConfigSchemas => (schemas ??= configSchemas(zod()));

function buildConfig(data: object, file: string, locate: Locate): Config {
  const problems: ConfigProblem[] = [];
  const top = built().configSchema.safeParse(data, { reportInput: true });
  if (!top.success) problems.push(...issuesToProblems(top.error.issues, [], locate));

  const rawTargets = Array.isArray((data as { targets?: unknown }).targets) ? ((data as { targets: unknown[] }).targets) : [];
  const baseDir = dirname(file);
  const targets: Target[] = [];
  const names = new Map<string, number>();
  rawTargets.forEach((raw, i) => {
    const at: Path = ['targets', i];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return; // reported by the top-level schema
    const kind = (raw as { provider?: unknown }).provider;
    const provider = typeof kind === 'string' ? PROVIDERS[kind] : undefined;
    if (!provider) {
      const message = kind === undefined
        ? `missing; one of: ${providerKinds().join(', ')}`
        : `unknown provider ${JSON.stringify(kind)}; known providers: ${providerKinds().join(', ')}`;
      problems.push({ ...locate([...at, 'provider']), field: fieldName([...at, 'provider']), message });
      return;
    }
    const schema = targetSchema(kind as string);
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      problems.push(...issuesToProblems(parsed.error.issues, at, locate));
      return;
    }
    const target = { ...(parsed.data as Record<string, unknown>) } as Target;
    const seen = names.get(target.name);
    if (seen !== undefined) {
      problems.push({ ...locate([...at, 'name']), field: fieldName([...at, 'name']), message: `duplicate target name ${JSON.stringify(target.name)} (also targets[${seen}])` });
      return;
    }
    names.set(target.name, i);
    for (const key of provider.pathOptions ?? []) {
      const value = target[key];
      if (typeof value !== 'string') continue;
      // Socket options may name a unix socket as `unix:relative/path`: resolve the path part.
      target[key] = value.startsWith('unix:') ? `unix:${resolve(baseDir, value.slice(5))}` : value.startsWith('tcp:') ? value : resolve(baseDir, value);
    }
    targets.push(target);
  });
  if (top.success && !top.data.github) {
    rawTargets.forEach((raw, i) => {
      if (raw && typeof raw === 'object' && (raw as { mode?: unknown }).mode === 'pr') {
        problems.push({ ...locate(['targets', i, 'mode']), field: fieldName(['targets', i, 'mode']), message: 'mode pr needs a top-level `github` section (repo, tokenEnv) to open pull requests in' });
      }
    });
  }
  if (problems.length > 0 || !top.success) throw new ConfigurationError(problems);

  const cfg = top.data;
  return {
    file,
    baseDir,
    git: { ...cfg.git, repo: isRemote(cfg.git.repo) ? cfg.git.repo : resolve(baseDir, cfg.git.repo) },
    stateDir: resolve(baseDir, cfg.state),
    ...(cfg.github ? { github: cfg.github } : {}),
    schedule: cfg.schedule,
    notify: cfg.notify.map((n) => ({
      kind: n.slack !== undefined || n.slackEnv !== undefined ? ('slack' as const) : ('webhook' as const),
      ...(n.webhook ?? n.slack ? { url: (n.webhook ?? n.slack) as string } : {}),
      ...(n.webhookEnv ?? n.slackEnv ? { urlEnv: (n.webhookEnv ?? n.slackEnv) as string } : {}),
      timeoutMs: n.timeoutMs,
      remindEveryMs: parseDurationMs(n.remindEvery) as number,
    })),
    service: {
      jitterMs: parseDurationMs(cfg.jitter) as number,
      concurrency: cfg.concurrency,
      targetTimeoutMs: parseDurationMs(cfg.targetTimeout) as number,
      shutdownTimeoutMs: parseDurationMs(cfg.shutdownTimeout) as number,
      listen: parseListen(cfg.listen),
      apiTokenEnv: cfg.apiTokenEnv,
      webhookSecretEnv: cfg.webhookSecretEnv,
    },
    severity: cfg.severity,
    revert: {
      maxReverts: cfg.revert.maxReverts,
      windowMs: parseDurationMs(cfg.revert.window) as number,
      backoffInitialMs: parseDurationMs(cfg.revert.backoffInitial) as number,
      backoffMaxMs: parseDurationMs(cfg.revert.backoffMax) as number,
    },
    redact: cfg.redact,
    policy: cfg.policy as PolicyRule[],
    targets,
  };
}

/** `127.0.0.1:9464` / `[::1]:9464` -> host and port (already validated by the schema). */
export function parseListen(text: string): { host: string; port: number } {
  const m = LISTEN.exec(text) as RegExpExecArray;
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** One zod schema per provider, built once (a fleet config has thousands of targets). */
const targetSchemas = new Map<string, z.ZodType>();
function targetSchema(kind: string): z.ZodType {
  let schema = targetSchemas.get(kind);
  if (!schema) {
    const z = zod();
    schema = z.object({ ...built().targetBaseShape, ...(PROVIDERS[kind]?.options(z) ?? {}) }).strict();
    targetSchemas.set(kind, schema);
  }
  return schema;
}

export function isRemote(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\\]+@[^:]+:/.test(repo);
}

function issuesToProblems(issues: z.core.$ZodIssue[], prefix: Path, locate: Locate): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path: Path = [...prefix, ...(issue.path as Path)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ ...locate(path, key), field: fieldName([...path, key]), message: 'unknown key (check its spelling and indentation)' });
      }
      continue;
    }
    // Targets are validated one by one with their provider's schema; skip the generic record errors.
    if (prefix.length === 0 && path[0] === 'targets' && path.length > 2) continue;
    out.push({ ...locate(path), field: fieldName(path), message: describeIssue(issue) });
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing (expected ${issue.expected})`;
  // Only the input's type is named, never its value (it may be a secret).
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${typeName(issue.input)}`;
  if (issue.code === 'invalid_value') return `expected one of: ${issue.values.map((v) => String(v)).join(', ')}`;
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1 && /^Too small/.test(issue.message)) return 'must not be empty';
  return issue.message;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value;
}

function fieldName(path: Path): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

type Locate = (path: Path, key?: string) => { file: string; line?: number; column?: number };

/** Finds the line of a field; a missing field points at its parent, an unknown key at the key itself. */
function locator(doc: Document, counter: LineCounter, file: string): Locate {
  const { isMap, isScalar } = requireYaml();
  return (path, key) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (!node) continue;
      let target: Node = node;
      if (n === path.length && key !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
        if (pair && pair.key) target = pair.key as Node;
      } else if (n === path.length && isMap(doc.getIn(path.slice(0, n - 1), true))) {
        const parent = doc.getIn(path.slice(0, n - 1), true);
        const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[n - 1])) : undefined;
        if (pair && pair.key) target = pair.key as Node;
      }
      if (!target.range) continue;
      const pos = counter.linePos(target.range[0]);
      return { file, line: pos.line, column: pos.col };
    }
    return { file };
  };
}
