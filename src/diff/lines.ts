/**
 * The source line of each semantic path (ConfigTree.lines). A big config has one `server` line
 * per server, and every field of that server (`address`, `weight`, ...) lives on it: recording
 * each of those paths in a Map costs a string join and a hash per field, for lines that are
 * almost never asked for (only the paths of changes are). So a server line is recorded once, as
 * a group, and its field paths are answered on demand.
 *
 * Contract of `group`: no path of a group is ever `set` directly (the parsers guarantee it), so
 * the answer does not depend on the order of `set` and `group` calls; among groups with the same
 * prefix, the later one wins, as a later `set` would. Iterating the map lists group paths after
 * the plain ones (no caller depends on the order of entries).
 */
export class LineIndex extends Map<string, number> {
  /** Prefix -> the groups registered under it, oldest first (a repeated server name adds one). */
  private groups = new Map<string, LineGroup[]>();

  /**
   * Records `line` for `prefix` and for `prefix.<key>` for each own key of `fields` (looked up
   * when asked, so `fields` must not change afterwards: it is the parsed tree's own object).
   * Keys must be plain path segments (no dot, quote or bracket), like server fields are.
   */
  group(prefix: string, line: number, fields: object): void {
    const list = this.groups.get(prefix);
    if (list) list.push({ line, fields });
    else this.groups.set(prefix, [{ line, fields }]);
  }

  override get(path: string): number | undefined {
    return super.get(path) ?? this.fromGroups(path);
  }

  override has(path: string): boolean {
    return super.has(path) || this.fromGroups(path) !== undefined;
  }

  private fromGroups(path: string): number | undefined {
    if (this.groups.size === 0) return undefined;
    const own = this.groups.get(path);
    if (own) return (own[own.length - 1] as LineGroup).line;
    const dot = path.lastIndexOf('.');
    const list = dot > 0 ? this.groups.get(path.slice(0, dot)) : undefined;
    if (!list) return undefined;
    const key = path.slice(dot + 1);
    for (let i = list.length - 1; i >= 0; i--) {
      const g = list[i] as LineGroup;
      if (Object.hasOwn(g.fields, key)) return g.line;
    }
    return undefined;
  }

  /** Whole-map views need every path: turn the groups into plain entries first (once). */
  private materialize(): void {
    if (this.groups.size === 0) return;
    const groups = this.groups;
    this.groups = new Map();
    for (const [prefix, list] of groups) {
      for (const { line, fields } of list) {
        super.set(prefix, line);
        for (const key of Object.keys(fields)) super.set(`${prefix}.${key}`, line);
      }
    }
  }

  override get size(): number {
    this.materialize();
    return super.size;
  }

  override delete(path: string): boolean {
    this.materialize();
    return super.delete(path);
  }

  override clear(): void {
    this.groups.clear();
    super.clear();
  }

  override forEach(fn: (value: number, key: string, map: Map<string, number>) => void, thisArg?: unknown): void {
    this.materialize();
    super.forEach(fn, thisArg);
  }

  override entries(): MapIterator<[string, number]> {
    this.materialize();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.materialize();
    return super.keys();
  }

  override values(): MapIterator<number> {
    this.materialize();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }
}

interface LineGroup {
  line: number;
  fields: object;
}
