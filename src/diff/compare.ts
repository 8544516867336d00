import { matchesAnyOrAncestor, pathSegments } from './glob.js';
import { severityOf, shapeRater, type ChangeKind, type Severity, type SeverityRule, type ShapeRater } from './severity.js';
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
  /** Adds each change's `summary` (compareTrees; compareConfigs adds it to the changes it details). */
  describe?: (change: Change) => string;
}

/** The part of a Redactor that comparing needs (see Redactor.tree). */
export interface TreeRedactor {
  tree(value: TreeValue, secret?: boolean): TreeValue;
  leaf(value: TreeValue, secret: boolean): TreeValue;
  isSecretKey(key: string): boolean;
}

const NO_REDACTION: TreeRedactor = { tree: (v) => v, leaf: (v) => v, isSecretKey: () => false };

/** Whether two values' canonical JSON differs (two strings: whether they differ, without JSON). */
function differ(a: TreeValue, b: TreeValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a !== b;
  return canonicalJson(a) !== canonicalJson(b);
}

/**
 * Pure: the semantic change list between two trees, each change with its severity, line, file
 * and summary. Trees without semantics (text) yield a single whole-content change when their
 * canonical forms differ.
 */
export function compareTrees(approved: ConfigTree, live: ConfigTree, options: CompareOptions): Change[] {
  const changes = findChanges(approved, live, options);
  for (const change of changes) addDetail(change, approved, live, options.describe);
  return changes;
}

/**
 * Pure: the changes between two trees with their severity and file, but not yet what a person
 * reads (line and summary: addDetail). A drift of 20,000 servers is rated and fingerprinted
 * whole, but only the changes that are shown need their line looked up and their sentence written.
 */
export function findChanges(approved: ConfigTree, live: ConfigTree, options: CompareOptions): Change[] {
  if (approved.root === null || live.root === null || approved.format !== live.format) {
    if (approved.canonical === live.canonical) return [];
    const path = '(content)';
    return [{ path, kind: 'changed', severity: severityOf(path, 'changed', options.rules) }];
  }
  const walker = new Walker(options.redactor ?? NO_REDACTION, options.rules);
  walker.walk(approved.root, live.root, false);
  const found = walker.out;
  if (options.ignore.length === 0 && approved.files === undefined && live.files === undefined) return found;
  const changes: Change[] = [];
  for (const change of found) {
    if (matchesAnyOrAncestor(options.ignore, change.path)) continue;
    const file = (change.kind === 'removed' ? approved : live).files?.get(change.path);
    if (file) change.file = file;
    changes.push(change);
  }
  return changes;
}

/**
 * Adds what a person reads to a change found by findChanges, in place: its line (of the live
 * side; of the approved side for a removal) and, with `describe`, its summary.
 */
export function addDetail(change: Change, approved: ConfigTree, live: ConfigTree, describe?: CompareOptions['describe']): void {
  const line = (change.kind === 'removed' ? approved : live).lines.get(change.path);
  if (line) change.line = line;
  if (describe) change.summary = describe(change);
}

/** A change with only the members it has: `approved` and `live` are left out when undefined. */
function change(path: string, kind: ChangeKind, approved: TreeValue | undefined, live: TreeValue | undefined, severity: Severity): Change {
  if (approved === undefined) return live === undefined ? { path, kind, severity } : { path, kind, live, severity };
  return live === undefined ? { path, kind, approved, severity } : { path, kind, approved, live, severity };
}

/**
 * Walks both trees in step. The path of a node is kept as a stack of keys and turned into a
 * string only for a change: a big config has a hundred thousand equal values, and building
 * each one's path would cost more than comparing it. Its shape (what its severity depends on,
 * see ShapeRater) is built the same way. `secret` says whether the node is under a secret
 * key, which is what its redaction depends on.
 */
class Walker {
  readonly out: Change[] = [];
  private readonly keys: string[] = [];
  /** paths[i]: the path of keys[0..i), made when first needed; siblings share their parent's. */
  private readonly paths: string[] = [''];
  /** shapes[i]: likewise, the shape of keys[0..i). */
  private readonly shapes: string[] = [''];
  private readonly rater: ShapeRater | undefined;

  constructor(
    private readonly redactor: TreeRedactor,
    private readonly rules: readonly SeverityRule[],
  ) {
    this.rater = shapeRater(rules);
  }

  private push(key: string): void {
    this.keys.push(key);
    if (this.paths.length > this.keys.length) this.paths.length = this.keys.length;
    if (this.shapes.length > this.keys.length) this.shapes.length = this.keys.length;
  }

  private pop(): void {
    this.keys.pop();
    if (this.paths.length > this.keys.length + 1) this.paths.length = this.keys.length + 1;
    if (this.shapes.length > this.keys.length + 1) this.shapes.length = this.keys.length + 1;
  }

  /** The path of the current node, as joinPath would have built it key by key. */
  private path(): string {
    const { keys, paths } = this;
    while (paths.length <= keys.length) paths.push(joinPath(paths[paths.length - 1] as string, keys[paths.length - 1] as string));
    return paths[keys.length] as string;
  }

  /** The shape of the current node. */
  private shape(rater: ShapeRater): string {
    const { keys, shapes } = this;
    while (shapes.length <= keys.length) shapes.push((shapes[shapes.length - 1] as string) + rater.segment(keys[shapes.length - 1] as string));
    return shapes[keys.length] as string;
  }

  /** A change at the current node (`key` absent) or at its child `key`, rated by its shape. */
  private emit(path: string, kind: ChangeKind, approved: TreeValue | undefined, live: TreeValue | undefined, key?: string): void {
    const { rater } = this;
    let severity: Severity;
    if (rater) {
      const shape = key === undefined ? this.shape(rater) : this.shape(rater) + rater.segment(key);
      severity = rater.rate(shape, kind, () => pathSegments(path));
    } else severity = severityOf(path, kind, this.rules);
    this.out.push(change(path, kind, approved, live, severity));
  }

  /** A change whose path is not made of keys alone (a list position, `(root)`). */
  private emitPath(path: string, kind: ChangeKind, approved: TreeValue | undefined, live: TreeValue | undefined): void {
    this.out.push(change(path, kind, approved, live, severityOf(path, kind, this.rules)));
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
    if (path) this.emit(path, 'changed', approved, live);
    else this.emitPath('(root)', 'changed', approved, live);
  }

  private walkObject(a: TreeObject, b: TreeObject, secret: boolean): void {
    // Most members are equal (a server's address, weight, ...): they are passed over before
    // anything else is done for them.
    let shared = 0;
    // for...in, not Object.keys: no array per object (tree objects are plain, with no inherited keys).
    for (const key in a) {
      const value = a[key];
      if (value === b[key] && value !== undefined) {
        shared++;
        continue;
      }
      const under = this.secretUnder(key, secret);
      if (!Object.hasOwn(b, key)) this.emit(this.childPath(key), 'removed', this.redactor.tree(value as TreeValue, under), undefined, key);
      else {
        shared++;
        this.push(key);
        this.walk(value as TreeValue, b[key] as TreeValue, under);
        this.pop();
      }
    }
    let count = 0;
    for (const _ in b) count++;
    // Every key of b is one of a's: nothing was added.
    if (shared === count) return;
    for (const key in b) {
      if (!Object.hasOwn(a, key)) this.emit(this.childPath(key), 'added', undefined, this.redactor.tree(b[key] as TreeValue, this.secretUnder(key, secret)), key);
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
      if (j === undefined) this.emit(this.childPath(id), 'removed', this.redactor.tree(a[i] as TreeValue, secret), undefined, id);
      else {
        this.push(id);
        this.walk(a[i] as TreeValue, b[j] as TreeValue, secret);
        this.pop();
      }
    });
    bIds.forEach((id, j) => {
      if (!aIndex.has(id)) this.emit(this.childPath(id), 'added', undefined, this.redactor.tree(b[j] as TreeValue, secret), id);
    });
    // Ids are unique: an id's position in either order is looked up, not searched for.
    const aOrder = aIds.filter((id) => bIndex.has(id));
    const bOrder = bIds.filter((id) => aIndex.has(id));
    const bPosition = new Map(bOrder.map((id, i) => [id, i]));
    aOrder.forEach((id, i) => {
      if (bOrder[i] !== id) this.emit(this.childPath(id), 'moved', i, bPosition.get(id) as number, id);
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
        this.emitPath(`${path}[${i}]`, 'removed', a[i] as TreeValue, undefined);
      }
    });
    const used = new Map<string, number>();
    for (const k of aKeys) used.set(k, (used.get(k) ?? 0) + 1);
    bKeys.forEach((k, j) => {
      const n = used.get(k) ?? 0;
      if (n > 0) used.set(k, n - 1);
      else this.emitPath(`${path}[${j}]`, 'added', undefined, b[j] as TreeValue);
    });
    if (!sameMultiset) return;
    if (path) this.emit(path, 'moved', a, b);
    else this.emitPath('(root)', 'moved', a, b);
  }
}
