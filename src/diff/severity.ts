import { globSegments, matchSegments, pathSegments, patternMatches, segmentVocabulary } from './glob.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const CHANGE_KINDS = ['added', 'removed', 'changed', 'moved'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One row of the severity table: the first row whose path glob (and kind, if given) matches wins. */
export interface SeverityRule {
  path: string;
  kind?: ChangeKind[];
  severity: Severity;
}

/**
 * Defaults, in terms of the shared semantic model (`backends.<name>.algorithm`,
 * `backends.<name>.servers.<name>.weight`, `frontends.<name>`). A changed balancing
 * algorithm is critical: it is what the postmortem's outage was.
 */
export const DEFAULT_SEVERITY_RULES: SeverityRule[] = [
  { path: '**.algorithm', severity: 'critical' },
  { path: '**.balance', severity: 'critical' },
  { path: '**.selection_policy.**', severity: 'critical' },
  { path: 'backends.*', kind: ['removed'], severity: 'critical' },
  { path: 'frontends.*', kind: ['removed'], severity: 'critical' },
  { path: 'listens.*', kind: ['removed'], severity: 'critical' },
  { path: 'upstreams.*', kind: ['removed'], severity: 'critical' },
  { path: '**.servers.*', kind: ['added', 'removed', 'moved'], severity: 'high' },
  { path: '**.server_order', severity: 'high' },
  { path: '**.servers.*.address', severity: 'high' },
  { path: '**.weight', severity: 'high' },
  { path: '**.{state,disabled,maintenance,backup,down,drain}', severity: 'high' },
  { path: '**.{acl,acls,routes,route,rules,tls,ssl,certificates}', severity: 'high' },
  { path: '**.{acl,acls,routes,route,rules,tls,ssl,certificates}.**', severity: 'high' },
  { path: '**.{bind,listen,default_backend,use_backend}', severity: 'high' },
  { path: '**.tls*', severity: 'high' },
  { path: '**.tls*.**', severity: 'high' },
  { path: '**.{proxy_pass,grpc_pass,fastcgi_pass,uwsgi_pass,scgi_pass,memcached_pass,return,rewrite,server_name}', severity: 'high' },
  { path: '**.locations.*', kind: ['added', 'removed'], severity: 'high' },
  { path: '**.{ssl_*,allow,deny,auth_basic*,auth_request}', severity: 'high' },
  { path: '**.{timeout*,*_timeout,retries,retry*,try_*,*_next_upstream*,health*,check*,checks,maxconn,max_fails,fail_timeout,max_conns}', severity: 'medium' },
  { path: '**.{timeout*,health*,check*,checks}.**', severity: 'medium' },
  { path: '**.option.{httpchk,*-chk,*-check,tcp-check,redispatch}', severity: 'medium' },
  { path: '**.{log*,access_log,error_log}', severity: 'low' },
];

export const DEFAULT_SEVERITY: Severity = 'low';

/** The first rule that matches wins. The path is split once for all the rules it is tried against. */
export function severityOf(path: string, kind: ChangeKind, rules: readonly SeverityRule[]): Severity {
  let segments: string[] | undefined;
  for (const rule of rules) {
    if (rule.kind && !rule.kind.includes(kind)) continue;
    segments ??= pathSegments(path);
    if (matchSegments(globSegments(rule.path), segments)) return rule.severity;
  }
  return DEFAULT_SEVERITY;
}

/**
 * severityOf for a path already split as globs see it (see pathSegments). A big drift rates
 * tens of thousands of changes whose paths differ only in names no rule mentions
 * (`backends.pool_00017.servers.s3.weight`): the answer is kept per path shape (SeverityMemo).
 */
export function severityOfSegments(segments: readonly string[], kind: ChangeKind, rules: readonly SeverityRule[]): Severity {
  const memo = memoOf(rules);
  return memo ? memo.severity(segments, kind) : firstMatch(segments, kind, rules);
}

function memoOf(rules: readonly SeverityRule[]): SeverityMemo | null {
  let memo = memos.get(rules);
  if (memo === undefined) {
    // A check builds its rule list anew (the target's rules, then the defaults): same rules, same memo.
    const content = JSON.stringify(rules);
    memo = byContent.get(content);
    if (memo === undefined) {
      memo = SeverityMemo.of(rules);
      if (byContent.size >= MEMO_TABLES) byContent.clear();
      byContent.set(content, memo);
    }
    memos.set(rules, memo);
  }
  return memo;
}

function firstMatch(segments: readonly string[], kind: ChangeKind, rules: readonly SeverityRule[]): Severity {
  for (const rule of rules) {
    if (rule.kind && !rule.kind.includes(kind)) continue;
    if (matchSegments(globSegments(rule.path), segments)) return rule.severity;
  }
  return DEFAULT_SEVERITY;
}

/**
 * Rates changes by the shape of their path, built one segment at a time by the tree walker:
 * the segments above a change are classified once for all the changes below them.
 */
export interface ShapeRater {
  /** A segment's part of a shape (list positions such as `[3]` dropped, as globs see paths). */
  segment(seg: string): string;
  /** The severity of a change whose path has `shape` (segment parts joined); `segments` is asked for on a new shape only. */
  rate(shape: string, kind: ChangeKind, segments: () => readonly string[]): Severity;
}

/** The ShapeRater of a rule table; undefined when its globs cannot be classified (then rate by severityOf). */
export function shapeRater(rules: readonly SeverityRule[]): ShapeRater | undefined {
  return memoOf(rules) ?? undefined;
}

/** Per rule table; null: its globs cannot be classified (a malformed pattern), so every change is matched. */
const memos = new WeakMap<readonly SeverityRule[], SeverityMemo | null>();
const byContent = new Map<string, SeverityMemo | null>();

/**
 * A segment's class: itself when a rule names it as a literal, else which of the rules'
 * patterns it matches. Every glob matches two segments of one class alike, so two paths of the
 * same kind with the same classes, segment by segment, get the same severity: it is looked up
 * by that shape. Both maps are bounded (their keys come from config).
 */
class SeverityMemo implements ShapeRater {
  private readonly classes = new Map<string, string>();
  private readonly bySegments = new Map<string, Severity>();

  private constructor(
    private readonly rules: readonly SeverityRule[],
    private readonly literals: ReadonlySet<string>,
    private readonly patterns: readonly string[],
  ) {}

  static of(rules: readonly SeverityRule[]): SeverityMemo | null {
    try {
      const { literals, patterns } = segmentVocabulary(rules.map((r) => r.path));
      for (const p of patterns) patternMatches(p, ''); // compiles each now: a malformed one throws here
      return new SeverityMemo(rules, literals, patterns);
    } catch {
      return null;
    }
  }

  severity(segments: readonly string[], kind: ChangeKind): Severity {
    let shape = '';
    for (const seg of segments) shape += `\u0000${this.classOf(seg)}`;
    return this.rate(shape, kind, () => segments);
  }

  segment(seg: string): string {
    return `\u0000${this.classOf(seg.includes('[') ? seg.replace(/\[\d+\]/g, '') : seg)}`;
  }

  rate(shape: string, kind: ChangeKind, segments: () => readonly string[]): Severity {
    const key = kind + shape;
    let severity = this.bySegments.get(key);
    if (severity === undefined) {
      severity = firstMatch(segments(), kind, this.rules);
      if (this.bySegments.size >= SHAPE_LIMIT) this.bySegments.clear();
      this.bySegments.set(key, severity);
    }
    return severity;
  }

  private classOf(seg: string): string {
    let cls = this.classes.get(seg);
    if (cls === undefined) {
      if (this.literals.has(seg)) cls = `=${seg}`;
      else {
        cls = '~';
        for (const p of this.patterns) cls += patternMatches(p, seg) ? '1' : '0';
      }
      if (this.classes.size >= CLASS_LIMIT) this.classes.clear();
      this.classes.set(seg, cls);
    }
    return cls;
  }
}

/**
 * Bounds, so that a service with many rule tables and huge configs stays within tens of MB:
 * rule tables kept, segment classes per table (room for the pool and server names of a config
 * of 20,000 servers), path shapes per table (a few dozen in practice).
 */
const MEMO_TABLES = 16;
const CLASS_LIMIT = 50_000;
const SHAPE_LIMIT = 10_000;

const RANKS = new Map<string, number>(SEVERITIES.map((s, i) => [s, i]));

/** SEVERITIES.indexOf, by lookup: 0 is critical, -1 a value that is no severity. */
export function severityRank(severity: Severity): number {
  return RANKS.get(severity) ?? -1;
}

export function maxSeverity(items: readonly { severity: Severity }[]): Severity | undefined {
  let best: number | undefined;
  for (const { severity } of items) {
    const rank = severityRank(severity);
    if (best === undefined || rank < best) best = rank;
  }
  return best === undefined ? undefined : SEVERITIES[best];
}
