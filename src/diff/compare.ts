import { matchesAnyOrAncestor } from './glob.js';
import { severityOf, type ChangeKind, type Severity, type SeverityRule } from './severity.js';
import { canonicalJson, identityKey, isObject, joinPath, type ConfigTree, type TreeValue } from './tree.js';

/** One semantic difference between the approved and the live configuration. */
export interface Change {
  /** Dotted semantic path, e.g. `backends.api.algorithm`. */
  path: string;
  kind: ChangeKind;
  approved?: TreeValue;
  live?: TreeValue;
  severity: Severity;
  /** 1-based line of the live side (or of the approved side for removals), when known. */
  line?: number;
  /** The file of that line when it is not the target's main file (an nginx include). */
  file?: string;
  /**
   * What differs: `config` (the live config against Git; the default), `process` (the running
   * program against its own config file), `runtime` (state changed at run time, lost on reload).
   * For process and runtime, `approved` is what the config file says and `live` what runs.
   */
  scope?: 'config' | 'process' | 'runtime';
  /** The change in the load balancer's own words, e.g. `backend api: balance roundrobin -> random`. */
  summary?: string;
}

export interface CompareOptions {
  rules: readonly SeverityRule[];
  /** Path globs whose differences are not drift. */
  ignore: readonly string[];
}

/**
 * Pure: the semantic change list between two trees. Trees without semantics (text)
 * yield a single whole-content change when their canonical forms differ.
 */
export function compareTrees(approved: ConfigTree, live: ConfigTree, options: CompareOptions): Change[] {
  if (approved.root === null || live.root === null || approved.format !== live.format) {
    if (approved.canonical === live.canonical) return [];
    const path = '(content)';
    return [{ path, kind: 'changed', severity: severityOf(path, 'changed', options.rules) }];
  }
  const raw: Omit<Change, 'severity'>[] = [];
  walk(approved.root, live.root, '', raw);
  const out: Change[] = [];
  for (const change of raw) {
    if (matchesAnyOrAncestor(options.ignore, change.path)) continue;
    const side = change.kind === 'removed' ? approved : live;
    const line = side.lines.get(change.path);
    const file = side.files?.get(change.path);
    out.push({ ...change, severity: severityOf(change.path, change.kind, options.rules), ...(line ? { line } : {}), ...(file ? { file } : {}) });
  }
  return out;
}

function walk(a: TreeValue, b: TreeValue, path: string, out: Omit<Change, 'severity'>[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of Object.keys(a)) {
      const p = joinPath(path, key);
      if (!Object.hasOwn(b, key)) out.push({ path: p, kind: 'removed', approved: a[key] as TreeValue });
      else walk(a[key] as TreeValue, b[key] as TreeValue, p, out);
    }
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) out.push({ path: joinPath(path, key), kind: 'added', live: b[key] as TreeValue });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    walkList(a, b, path, out);
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push({ path: path || '(root)', kind: 'changed', approved: a, live: b });
}

/** Lists of named items are compared by name (and order); other lists by content. */
function walkList(a: TreeValue[], b: TreeValue[], path: string, out: Omit<Change, 'severity'>[]): void {
  const key = identityKey(a) !== undefined && identityKey(a) === identityKey(b) ? identityKey(a) : undefined;
  if (key) {
    const ids = (list: TreeValue[]) => list.map((item) => String((item as Record<string, TreeValue>)[key]));
    const aIds = ids(a);
    const bIds = ids(b);
    const bIndex = new Map(bIds.map((id, i) => [id, i]));
    const aIndex = new Map(aIds.map((id, i) => [id, i]));
    aIds.forEach((id, i) => {
      const p = joinPath(path, id);
      const j = bIndex.get(id);
      if (j === undefined) out.push({ path: p, kind: 'removed', approved: a[i] as TreeValue });
      else walk(a[i] as TreeValue, b[j] as TreeValue, p, out);
    });
    bIds.forEach((id, j) => {
      if (!aIndex.has(id)) out.push({ path: joinPath(path, id), kind: 'added', live: b[j] as TreeValue });
    });
    const common = (ids: string[], other: Map<string, number>) => ids.filter((id) => other.has(id));
    const aOrder = common(aIds, bIndex);
    const bOrder = common(bIds, aIndex);
    aOrder.forEach((id, i) => {
      if (bOrder[i] !== id) out.push({ path: joinPath(path, id), kind: 'moved', approved: aOrder.indexOf(id), live: bOrder.indexOf(id) });
    });
    return;
  }
  const aKeys = a.map(canonicalJson);
  const bKeys = b.map(canonicalJson);
  if (aKeys.join('\n') === bKeys.join('\n')) return;
  const remaining = new Map<string, number>();
  for (const k of bKeys) remaining.set(k, (remaining.get(k) ?? 0) + 1);
  let sameMultiset = a.length === b.length;
  aKeys.forEach((k, i) => {
    const n = remaining.get(k) ?? 0;
    if (n > 0) remaining.set(k, n - 1);
    else {
      sameMultiset = false;
      out.push({ path: `${path}[${i}]`, kind: 'removed', approved: a[i] as TreeValue });
    }
  });
  const used = new Map<string, number>();
  for (const k of aKeys) used.set(k, (used.get(k) ?? 0) + 1);
  bKeys.forEach((k, j) => {
    const n = used.get(k) ?? 0;
    if (n > 0) used.set(k, n - 1);
    else out.push({ path: `${path}[${j}]`, kind: 'added', live: b[j] as TreeValue });
  });
  if (sameMultiset) out.push({ path: path || '(root)', kind: 'moved', approved: a, live: b });
}
