import { matchesAnyOrAncestor } from './glob.js';
import { severityOf, severityOfSegments, type ChangeKind, type Severity, type SeverityRule } from './severity.js';
import { canonicalJson, identityKey, isObject, joinPath, type ConfigTree, type TreeObject, type TreeValue } from './tree.js';

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
  /**
   * Redacts what is compared and reported (compareConfigs passes its Redactor). The changes are
   * exactly those between the two redacted trees, but only values that differ get redacted:
   * equal values redact to equal values, so the trees are not copied.
   */
  redactor?: TreeRedactor;
  /** Adds each change's `summary` (its last key), as compareConfigs shows them; `segments` is the path split, when known. */
  describe?: (change: Change, segments?: readonly string[]) => string;
}

/** The part of a Redactor that comparing needs (see Redactor.tree). */
export interface TreeRedactor {
  tree(value: TreeValue, secret?: boolean): TreeValue;
  leaf(value: TreeValue, secret: boolean): TreeValue;
  isSecretKey(key: string): boolean;
}

const NO_REDACTION: TreeRedactor = { tree: (v) => v, leaf: (v) => v, isSecretKey: () => false };

/**
 * The walker makes each change with a placeholder severity, so that the key keeps its place
 * among the keys (after the values); compareTrees rates the changes it keeps.
 */
const UNRATED: Severity = 'low';

/** Whether two values' canonical JSON differs (two strings: whether they differ, without JSON). */
function differ(a: TreeValue, b: TreeValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a !== b;
  return canonicalJson(a) !== canonicalJson(b);
}

/**
 * Pure: the semantic change list between two trees. Trees without semantics (text)
 * yield a single whole-content change when their canonical forms differ.
 */
export function compareTrees(approved: ConfigTree, live: ConfigTree, options: CompareOptions): Change[] {
  if (approved.root === null || live.root === null || approved.format !== live.format) {
    if (approved.canonical === live.canonical) return [];
    const path = '(content)';
    const change: Change = { path, kind: 'changed', severity: severityOf(path, 'changed', options.rules) };
    if (options.describe) change.summary = options.describe(change);
    return [change];
  }
  const walker = new Walker(options.redactor ?? NO_REDACTION);
  walker.walk(approved.root, live.root, false);
  const out: Change[] = [];
  walker.out.forEach((change, i) => {
    if (matchesAnyOrAncestor(options.ignore, change.path)) return;
    const side = change.kind === 'removed' ? approved : live;
    const keys = walker.segments[i];
    // The walker made each change with its keys in their final order; the rest are added here.
    change.severity = keys ? severityOfSegments(globView(keys), change.kind, options.rules) : severityOf(change.path, change.kind, options.rules);
    const line = side.lines.get(change.path);
    if (line) change.line = line;
    const file = side.files?.get(change.path);
    if (file) change.file = file;
    if (options.describe) change.summary = options.describe(change, keys);
    out.push(change);
  });
  return out;
}

/** Path keys as globs see them: list positions (`[3]`) dropped; the same array when there are none. */
function globView(keys: string[]): string[] {
  let out: string[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (!key.includes('[')) continue;
    out ??= keys.slice();
    out[i] = key.replace(/\[\d+\]/g, '');
  }
  return out ?? keys;
}

/**
 * Walks both trees in step. The path of a node is kept as a stack of keys and turned into a
 * string only for a change: a big config has a hundred thousand equal values, and building
 * each one's path would cost more than comparing it. `secret` says whether the node is under
 * a secret key, which is what its redaction depends on.
 */
class Walker {
  readonly out: Change[] = [];
  /** The keys of out[i]'s path (what splitPath gives), when its path is made of keys alone. */
  readonly segments: (string[] | undefined)[] = [];
  private readonly keys: string[] = [];
  /** paths[i]: the path of keys[0..i), made when first needed; siblings share their parent's. */
  private readonly paths: string[] = [''];

  constructor(private readonly redactor: TreeRedactor) {}

  private push(key: string): void {
    this.keys.push(key);
    if (this.paths.length > this.keys.length) this.paths.length = this.keys.length;
  }

  private pop(): void {
    this.keys.pop();
    if (this.paths.length > this.keys.length + 1) this.paths.length = this.keys.length + 1;
  }

  /** The path of the current node, as joinPath would have built it key by key. */
  private path(): string {
    const { keys, paths } = this;
    while (paths.length <= keys.length) paths.push(joinPath(paths[paths.length - 1] as string, keys[paths.length - 1] as string));
    return paths[keys.length] as string;
  }

  /** A change at the current node (`key` absent) or at its child `key`. */
  private emit(change: Change, key?: string): void {
    this.out.push(change);
    this.segments.push(key === undefined ? this.keys.slice() : [...this.keys, key]);
  }

  /** A change whose path is not made of keys alone (a list position, `(root)`). */
  private emitPath(change: Change): void {
    this.out.push(change);
    this.segments.push(undefined);
  }

  /** The path of `key` under the current node. */
  private childPath(key: string): string {
    return joinPath(this.path(), key);
  }

  private secretUnder(key: string, secret: boolean): boolean {
    return secret || this.redactor.isSecretKey(key);
  }

  walk(a: TreeValue, b: TreeValue, secret: boolean): void {
    // The same value on both sides redacts to the same value: nothing under it can differ.
    if (a === b) return;
    if (isObject(a) && isObject(b)) {
      this.walkObject(a, b, secret);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      this.walkList(a, b, secret);
      return;
    }
    const approved = this.redactor.tree(a, secret);
    const live = this.redactor.tree(b, secret);
    if (!differ(approved, live)) return;
    const path = this.path();
    if (path) this.emit({ path, kind: 'changed', approved, live, severity: UNRATED });
    else this.emitPath({ path: '(root)', kind: 'changed', approved, live, severity: UNRATED });
  }

  private walkObject(a: TreeObject, b: TreeObject, secret: boolean): void {
    for (const key of Object.keys(a)) {
      const under = this.secretUnder(key, secret);
      if (!Object.hasOwn(b, key)) this.emit({ path: this.childPath(key), kind: 'removed', approved: this.redactor.tree(a[key] as TreeValue, under), severity: UNRATED }, key);
      else {
        this.push(key);
        this.walk(a[key] as TreeValue, b[key] as TreeValue, under);
        this.pop();
      }
    }
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) this.emit({ path: this.childPath(key), kind: 'added', live: this.redactor.tree(b[key] as TreeValue, this.secretUnder(key, secret)), severity: UNRATED }, key);
    }
  }

  /** Lists of named items are compared by name (and order); other lists by content. */
  private walkList(a: TreeValue[], b: TreeValue[], secret: boolean): void {
    if (a.length === b.length && a.every((item, i) => item === b[i])) return;
    const aIds = this.identities(a, secret);
    const bIds = aIds ? this.identities(b, secret) : undefined;
    if (aIds && bIds && aIds.key === bIds.key) this.walkNamed(a, b, aIds.ids, bIds.ids, secret);
    else this.walkUnnamed(this.redactor.tree(a, secret) as TreeValue[], this.redactor.tree(b, secret) as TreeValue[]);
  }

  /**
   * identityKey of the redacted list, and each item's redacted identity as a string. Only the
   * identity values are redacted (an item's `name` under a secret key is a fingerprint).
   */
  private identities(list: TreeValue[], secret: boolean): { key: string; ids: string[] } | undefined {
    const key = identityKey(list, (item, k) => {
      const id = item[k];
      return typeof id === 'string' || typeof id === 'number' || typeof id === 'boolean' ? this.redactor.leaf(id, this.secretUnder(k, secret)) : id;
    });
    if (key === undefined) return undefined;
    return { key, ids: list.map((item) => String(this.redactor.leaf((item as TreeObject)[key] as TreeValue, this.secretUnder(key, secret)))) };
  }

  private walkNamed(a: TreeValue[], b: TreeValue[], aIds: string[], bIds: string[], secret: boolean): void {
    const bIndex = new Map(bIds.map((id, i) => [id, i]));
    const aIndex = new Map(aIds.map((id, i) => [id, i]));
    aIds.forEach((id, i) => {
      const j = bIndex.get(id);
      if (j === undefined) this.emit({ path: this.childPath(id), kind: 'removed', approved: this.redactor.tree(a[i] as TreeValue, secret), severity: UNRATED }, id);
      else {
        this.push(id);
        this.walk(a[i] as TreeValue, b[j] as TreeValue, secret);
        this.pop();
      }
    });
    bIds.forEach((id, j) => {
      if (!aIndex.has(id)) this.emit({ path: this.childPath(id), kind: 'added', live: this.redactor.tree(b[j] as TreeValue, secret), severity: UNRATED }, id);
    });
    // Ids are unique: an id's position in either order is looked up, not searched for.
    const aOrder = aIds.filter((id) => bIndex.has(id));
    const bOrder = bIds.filter((id) => aIndex.has(id));
    const bPosition = new Map(bOrder.map((id, i) => [id, i]));
    aOrder.forEach((id, i) => {
      if (bOrder[i] !== id) this.emit({ path: this.childPath(id), kind: 'moved', approved: i, live: bPosition.get(id) as number, severity: UNRATED }, id);
    });
  }

  /** Unnamed lists, already redacted: items compared as a multiset, positions reported. */
  private walkUnnamed(a: TreeValue[], b: TreeValue[]): void {
    const path = this.path();
    const aKeys = a.map((item) => canonicalJson(item));
    const bKeys = b.map((item) => canonicalJson(item));
    if (aKeys.join('\n') === bKeys.join('\n')) return;
    const remaining = new Map<string, number>();
    for (const k of bKeys) remaining.set(k, (remaining.get(k) ?? 0) + 1);
    let sameMultiset = a.length === b.length;
    aKeys.forEach((k, i) => {
      const n = remaining.get(k) ?? 0;
      if (n > 0) remaining.set(k, n - 1);
      else {
        sameMultiset = false;
        this.emitPath({ path: `${path}[${i}]`, kind: 'removed', approved: a[i] as TreeValue, severity: UNRATED });
      }
    });
    const used = new Map<string, number>();
    for (const k of aKeys) used.set(k, (used.get(k) ?? 0) + 1);
    bKeys.forEach((k, j) => {
      const n = used.get(k) ?? 0;
      if (n > 0) used.set(k, n - 1);
      else this.emitPath({ path: `${path}[${j}]`, kind: 'added', live: b[j] as TreeValue, severity: UNRATED });
    });
    if (!sameMultiset) return;
    if (path) this.emit({ path, kind: 'moved', approved: a, live: b, severity: UNRATED });
    else this.emitPath({ path: '(root)', kind: 'moved', approved: a, live: b, severity: UNRATED });
  }
}
