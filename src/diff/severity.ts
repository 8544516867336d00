import { globSegments, matchSegments, pathSegments } from './glob.js';

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

/** severityOf for a path already split as globs see it (see pathSegments). */
export function severityOfSegments(segments: readonly string[], kind: ChangeKind, rules: readonly SeverityRule[]): Severity {
  for (const rule of rules) {
    if (rule.kind && !rule.kind.includes(kind)) continue;
    if (matchSegments(globSegments(rule.path), segments)) return rule.severity;
  }
  return DEFAULT_SEVERITY;
}

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
