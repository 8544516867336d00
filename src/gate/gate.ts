import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import type { Config, Target } from '../config/types.js';
import type { Change } from '../diff/compare.js';
import { Redactor } from '../diff/redact.js';
import { DEFAULT_SEVERITY_RULES, type Severity } from '../diff/severity.js';
import type { ConfigTree } from '../diff/tree.js';
import { errorMessage, ParseError } from '../errors.js';
import type { Provider, ValidationMessage } from '../providers/provider.js';
import { getProvider } from '../providers/registry.js';
import { compareConfigs } from '../reconcile/compare.js';
import { evaluatePolicy, type PolicyResult } from './policy.js';
import type { GateRepo } from './repo.js';
import { runTrafficTest, trafficSettings, type TrafficReport } from './traffic/run.js';
import { onPath } from './which.js';

/** Something that blocks a change, located where the source allows. */
export interface GateProblem {
  kind: 'parse' | 'validation' | 'policy' | 'traffic' | 'deleted';
  message: string;
  /** The file in the repository (the target's desired file, or an nginx include). */
  file: string;
  line?: number;
  rule?: string;
}

export interface ValidationOutcome {
  /** False when the provider has no native checker (plain files). */
  ran: boolean;
  ok: boolean;
  command?: string;
  messages: ValidationMessage[];
}

export interface TargetGate {
  target: string;
  provider: string;
  desired: string;
  change: 'added' | 'modified' | 'deleted';
  verdict: 'pass' | 'blocked' | 'error';
  problems: GateProblem[];
  validation: ValidationOutcome | null;
  policy: PolicyResult | null;
  /** null: the test is off for this target (or did not get to run: see problems). */
  traffic: TrafficReport | null;
  /** Why the traffic test, on for this target, did not run. */
  trafficSkipped?: string;
  /** The semantic diff of base vs head, redacted. */
  diff: { changes: Change[]; severity: Severity | null } | null;
  /** Why the gate could not judge this target (a missing binary): exit 1, not 3. */
  error?: string;
}

export interface GateReport {
  verdict: 'pass' | 'blocked' | 'error';
  base: { ref: string; commit: string };
  head: { ref: string; commit: string };
  /** Where head left base: the diff starts here, as a pull request's does. */
  mergeBase: string;
  changedFiles: string[];
  targets: TargetGate[];
}

export interface GateRequest {
  repo: GateRepo;
  base: string;
  head: string;
  /** Gate every target, changed or not (e.g. after a change of policy). */
  all?: boolean;
}

/** haproxy -c's closing lines that only say that errors were found. */
const SUMMARY_ALERT = /Error\(s\) found in configuration file|Fatal errors found in configuration/;

const NATIVE_COMMAND: Record<string, string> = { haproxy: 'haproxy -c', nginx: 'nginx -t', caddy: 'caddy validate' };

/**
 * `driftwarden gate`: for every target whose approved file (or a file beside it, for providers
 * that follow includes) differs between the merge base and head: native validation, policy,
 * the traffic test where the target asks for it, and the semantic diff. Reads the checkout and
 * runs checkers in temp folders; writes nothing of driftwarden's state.
 */
export async function runGate(config: Config, request: GateRequest): Promise<GateReport> {
  const { repo } = request;
  const base = await repo.commit(request.base, '--base');
  const head = await repo.commit(request.head, '--head');
  const mergeBase = await repo.mergeBase(base, head);
  const changedFiles = await repo.changedFiles(mergeBase, head);
  const changed = new Set(changedFiles);
  const redactor = new Redactor(randomBytes(32), config.redact);
  const targets: TargetGate[] = [];
  for (const target of config.targets) {
    const provider = getProvider(target.provider);
    if (!request.all && !touches(target, provider, changedFiles, changed)) continue;
    targets.push(await gateTarget(config, target, provider, { repo, mergeBase, head, redactor }));
  }
  const verdict = targets.some((t) => t.verdict === 'error') ? 'error' : targets.some((t) => t.verdict === 'blocked') ? 'blocked' : 'pass';
  return { verdict, base: { ref: request.base, commit: base }, head: { ref: request.head, commit: head }, mergeBase, changedFiles, targets };
}

/** Whether a change touches a target: its desired file, or (following includes) a file in its folder. */
function touches(target: Target, provider: Provider<any>, files: string[], changed: Set<string>): boolean {
  if (changed.has(target.desired)) return true;
  if (!provider.parseAll) return false;
  const dir = posix.dirname(target.desired);
  return files.some((f) => dir === '.' || f.startsWith(`${dir}/`));
}

interface Sides {
  repo: GateRepo;
  mergeBase: string;
  head: string;
  redactor: Redactor;
}

async function gateTarget(config: Config, target: Target, provider: Provider<any>, sides: Sides): Promise<TargetGate> {
  const { repo, mergeBase, head } = sides;
  const headText = await repo.readFile(head, target.desired);
  const baseText = await repo.readFile(mergeBase, target.desired);
  const out: TargetGate = {
    target: target.name,
    provider: target.provider,
    desired: target.desired,
    change: headText === null ? 'deleted' : baseText === null ? 'added' : 'modified',
    verdict: 'pass',
    problems: [],
    validation: null,
    policy: null,
    traffic: null,
    diff: null,
  };
  if (headText === null) {
    out.problems.push({ kind: 'deleted', file: target.desired, message: `${target.desired} is deleted, but target ${target.name} still uses it: remove the target from the config in the same change, or keep the file` });
    return finish(out);
  }
  const binary = typeof target.binary === 'string' ? target.binary : undefined;
  if (binary && provider.validate && !onPath(binary)) {
    out.error = `${binary} is not installed or not on PATH: the gate needs it to validate ${target.desired} (install it, e.g. apt-get install -y ${target.provider}, or set the target's \`binary\`)`;
    return finish(out);
  }
  const origin = target.desired;
  const headFiles = repo.files(head, target.desired);
  out.validation = await validate(provider, target, headText, headFiles, origin);
  for (const m of out.validation.messages) out.problems.push({ kind: 'validation', file: target.desired, ...(m.line !== undefined ? { line: m.line } : {}), message: m.message });
  const settings = trafficSettings(target.gate);
  let headTree: ConfigTree;
  try {
    headTree = await parse(provider, target, headText, origin, headFiles);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    // The native checker may have said the same already (Caddy adapts the Caddyfile to validate it).
    if (!out.validation.messages.some((m) => m.message === err.message)) out.problems.push({ kind: 'parse', file: target.desired, ...(err.line !== undefined ? { line: err.line } : {}), message: err.message });
    if (settings) out.trafficSkipped = 'not run: the config does not parse';
    return finish(out);
  }
  out.policy = evaluatePolicy(config.policy, target.name, headTree);
  for (const v of out.policy.violations) out.problems.push({ kind: 'policy', file: v.file ? stripCommit(v.file) : target.desired, ...(v.line !== undefined ? { line: v.line } : {}), rule: v.rule, message: `${v.rule}: ${v.message}` });
  out.diff = await semanticDiff(config, target, provider, baseText, headTree, sides);
  if (settings && provider.traffic && out.validation.ok) {
    try {
      out.traffic = await runTrafficTest({ provider, binary: binary ?? target.provider, text: headText, origin, tree: headTree, files: headFiles, configDir: dirname(String(target.config ?? target.desired)), target, settings });
      for (const p of out.traffic.problems) {
        const line = p.path === undefined ? undefined : headTree.lines.get(p.path);
        out.problems.push({ kind: 'traffic', file: target.desired, ...(line !== undefined ? { line } : {}), message: p.message });
      }
    } catch (err) {
      out.problems.push({ kind: 'traffic', file: target.desired, message: `the traffic test could not run: ${errorMessage(err)}` });
    }
  } else if (settings && provider.traffic) {
    out.trafficSkipped = 'not run: the native checker refused the config';
  } else if (settings && !provider.traffic) {
    out.problems.push({ kind: 'traffic', file: target.desired, message: `gate.traffic is on, but the traffic test does not apply to provider ${target.provider} (turn it off for target ${target.name})` });
  }
  return finish(out);
}

function finish(out: TargetGate): TargetGate {
  out.verdict = out.error ? 'error' : out.problems.length > 0 ? 'blocked' : 'pass';
  return out;
}

/** `conf.d/api.conf@0123456789ab` (an include's label) -> `conf.d/api.conf`. */
function stripCommit(label: string): string {
  return label.replace(/@[0-9a-f]{12}$/, '');
}

async function parse(provider: Provider<any>, target: Target, text: string, origin: string, files: ReturnType<GateRepo['files']>): Promise<ConfigTree> {
  return provider.parseAll ? provider.parseAll(text, origin, target, files) : provider.parse(text, origin, target);
}

/**
 * The native checker on the proposed text, in a temp folder that holds the proposed commit's
 * files beside it (relative includes and error pages resolve as they will once deployed).
 */
async function validate(provider: Provider<any>, target: Target, text: string, files: ReturnType<GateRepo['files']>, origin: string): Promise<ValidationOutcome> {
  if (!provider.validate) return { ran: false, ok: true, messages: [] };
  const dir = mkdtempSync(join(tmpdir(), 'dw-gate-check-'));
  try {
    for (const rel of await files.list()) {
      const content = await files.read(rel);
      if (content === null) continue;
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    const main = join(dir, basename(target.desired));
    const local = { ...target, config: main, prefix: undefined, errorLog: join(dir, '.error.log'), desired: origin };
    const command = NATIVE_COMMAND[target.provider];
    let r: Awaited<ReturnType<NonNullable<Provider['validate']>>>;
    try {
      r = await provider.validate(text, local, { baseDir: dir, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      // Caddy adapts a Caddyfile before validating it: a syntax error is the adapter's ParseError.
      if (!(err instanceof ParseError)) throw err;
      r = { ok: false, messages: [{ ...(err.line !== undefined ? { line: err.line } : {}), message: err.message }] };
    }
    if (!r.ok && r.messages.some((m) => m.line !== undefined)) r.messages = r.messages.filter((m) => m.line !== undefined || !SUMMARY_ALERT.test(m.message));
    return r.ok ? { ran: true, ok: true, ...(command ? { command } : {}), messages: [] } : { ran: true, ok: false, ...(command ? { command } : {}), messages: r.messages.map((m) => ({ ...m, message: m.message.split(dir).join('.') })) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function semanticDiff(config: Config, target: Target, provider: Provider<any>, baseText: string | null, headTree: ConfigTree, sides: Sides): Promise<TargetGate['diff']> {
  let baseTree: ConfigTree;
  if (baseText === null) baseTree = { format: headTree.format, root: {}, lines: new Map(), canonical: '{}', normalized: '' };
  else {
    try {
      baseTree = await parse(provider, target, baseText, `${target.desired}@${sides.mergeBase.slice(0, 12)}`, sides.repo.files(sides.mergeBase, target.desired));
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      return null; // the base did not parse: there is nothing semantic to compare with
    }
  }
  const c = compareConfigs(baseTree, headTree, { rules: [...target.severity, ...config.severity, ...DEFAULT_SEVERITY_RULES], ignore: target.ignore, redactor: sides.redactor });
  return { changes: c.changes, severity: c.severity };
}
