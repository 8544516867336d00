import { joinPath } from './tree.js';

/**
 * The source line of each semantic path (ConfigTree.lines). A big config has one `server` line
 * per server, and every field of that server (`address`, `weight`, ...) lives on it: recording
 * each of those paths in a Map costs a string join and a hash per field, for lines that are
 * almost never asked for (only the paths of changes are). So the servers of a pool are recorded
 * as one table (`prefix` = the pool's `servers` path, one row per server), and the paths
 * `prefix.<name>` and `prefix.<name>.<field>` are answered when asked.
 *
 * Contract of `table`: no path of a table's rows is ever `set` directly (the parsers guarantee
 * it), so answers do not depend on the order of `set` and `table` calls. Within a table, a
 * later row with the same name wins, as a later `set` would. Iterating the map lists table
 * paths after the plain ones (no caller depends on the order of entries).
 */
export class LineIndex extends Map<string, number> {
  /** Tables by prefix, each with the number of lines its rows moved by since they were recorded. */
  private tables = new Map<string, { table: LineTable; offset: number }>();
  /** Attached sections by prefix, likewise; and how many segments their prefixes have (`backends.api`: 2). */
  private sections = new Map<string, { index: LineIndex; offset: number }>();
  private readonly sectionDepths = new Set<number>();

  /** The table of rows under `prefix`, created on first use. */
  table(prefix: string): LineTable {
    let entry = this.tables.get(prefix);
    if (!entry) {
      entry = { table: new LineTable(), offset: 0 };
      this.tables.set(prefix, entry);
    }
    return entry.table;
  }

  /**
   * Adds the paths of one section (`prefix` and below), recorded in `section` by an earlier
   * parse, with their lines moved by `offset`: a section reused from an earlier parse may now
   * start on another line. Not copied: looked up when asked. `section` must not change
   * afterwards, and no path below `prefix` may be set here directly.
   */
  attach(prefix: string, section: LineIndex, offset: number): void {
    this.sections.set(prefix, { index: section, offset });
    this.sectionDepths.add(segmentCount(prefix));
  }
  override get(path: string): number | undefined {
    return super.get(path) ?? this.fromTables(path) ?? this.fromSections(path);
  }

  override has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** A path below an attached section's prefix: its line there, moved. */
  private fromSections(path: string): number | undefined {
    if (this.sections.size === 0) return undefined;
    // Each segment boundary (a dot outside quotes) ends a candidate prefix, of so many segments.
    let segments = 0;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c === QUOTE) i = closingQuote(path, i);
      else if (c === DOT && this.sectionDepths.has(++segments)) {
        const section = this.sections.get(path.slice(0, i));
        if (!section) continue;
        const line = section.index.get(path);
        return line === undefined ? undefined : line + section.offset;
      }
    }
    return undefined;
  }

  /**
   * `prefix.<row>` or `prefix.<row>.<field>`, the row segment as joinPath writes it. Any split
   * of `path` into a table's prefix and one of its rows is the path the eager map would hold.
   */
  private fromTables(path: string): number | undefined {
    if (this.tables.size === 0) return undefined;
    // Most paths asked for are a field's (a weight): that form first.
    const dot = path.lastIndexOf('.');
    const field = path.slice(dot + 1);
    // Fields are plain segments: a quoted last segment is a row's.
    const asField = dot > 0 && !field.includes('"') ? this.rowLine(path.slice(0, dot), field) : undefined;
    return asField ?? this.rowLine(path, undefined) ?? this.nestedField(path);
  }

  /**
   * `prefix.<row>.<field>.<key>...`: a value inside a row's field (a server's `health.inter`)
   * is on the row's line too. Up to three keys deep; every key a plain segment.
   */
  private nestedField(path: string): number | undefined {
    let parent = path;
    for (let depth = 0; depth < 3; depth++) {
      const dot = parent.lastIndexOf('.');
      if (dot <= 0 || parent.charCodeAt(parent.length - 1) === QUOTE) return undefined;
      parent = parent.slice(0, dot);
      const fieldDot = parent.lastIndexOf('.');
      const field = parent.slice(fieldDot + 1);
      if (fieldDot <= 0 || field.includes('"')) return undefined;
      const line = this.rowLine(parent.slice(0, fieldDot), field);
      if (line !== undefined) return line;
    }
    return undefined;
  }

  private rowLine(rowPath: string, field: string | undefined): number | undefined {
    const start = lastSegmentStart(rowPath);
    if (start < 0 || (start > 0 && rowPath.charCodeAt(start - 1) !== DOT)) return undefined;
    const entry = this.tables.get(start === 0 ? '' : rowPath.slice(0, start - 1));
    if (!entry) return undefined;
    const line = entry.table.line(rowPath.slice(start), field);
    return line === undefined ? undefined : line + entry.offset;
  }

  /** Whole-map views need every path: turn tables and sections into plain entries first (once). */
  private materialize(): void {
    if (this.tables.size === 0 && this.sections.size === 0) return;
    const { tables, sections } = this;
    this.tables = new Map();
    this.sections = new Map();
    for (const [, { index, offset }] of sections) for (const [path, line] of index) super.set(path, line + offset);
    for (const [prefix, { table, offset }] of tables) {
      for (const [segment, row] of table.rows()) {
        const rowPath = prefix === '' ? segment : `${prefix}.${segment}`;
        super.set(rowPath, row.line + offset);
        for (const key of Object.keys(row.fields)) super.set(joinPath(rowPath, key), row.line + offset);
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
    this.tables.clear();
    this.sections.clear();
    this.sectionDepths.clear();
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

/** The number of segments of a path (dots outside quotes, plus one). */
function segmentCount(path: string): number {
  let n = 1;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === QUOTE) i = closingQuote(path, i);
    else if (c === DOT) n++;
  }
  return n;
}

/** The index of the quote that closes the quoted segment opening at `open` (or the path's end). */
function closingQuote(path: string, open: number): number {
  let i = open + 1;
  while (i < path.length && path.charCodeAt(i) !== QUOTE) i += path.charCodeAt(i) === BACKSLASH ? 2 : 1;
  return i;
}

/** Where the last segment of a path starts: after its last dot, or at the opening quote of a quoted last segment. */
function lastSegmentStart(path: string): number {
  if (path.charCodeAt(path.length - 1) !== QUOTE) return path.lastIndexOf('.') + 1;
  // Going back from the closing quote, the first quote not escaped by a backslash opens the segment.
  for (let j = path.length - 2; j >= 0; j--) {
    if (path.charCodeAt(j) !== QUOTE) continue;
    let backslashes = 0;
    while (j - 1 - backslashes >= 0 && path.charCodeAt(j - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
  return -1;
}

const QUOTE = 34;
const BACKSLASH = 92;
const DOT = 46;

interface LineRow {
  line: number;
  /** The row's parsed object (a server): its own keys are the fields on this line. Never changed afterwards. */
  fields: object;
}

/**
 * The rows of one table, by their segment as joinPath writes it (`s1`, `"10.0.0.3:8080"`); a
 * repeated name keeps every row, oldest first. Field names must be plain segments.
 */
export class LineTable {
  private readonly bySegment = new Map<string, LineRow | LineRow[]>();

  add(name: string, line: number, fields: object): void {
    const segment = joinPath('', name);
    const row = { line, fields };
    const existing = this.bySegment.get(segment);
    if (existing === undefined) this.bySegment.set(segment, row);
    else if (Array.isArray(existing)) existing.push(row);
    else this.bySegment.set(segment, [existing, row]);
  }

  /** The latest row's line, or for a field the line of the latest row that has the field. */
  line(segment: string, field: string | undefined): number | undefined {
    const entry = this.bySegment.get(segment);
    if (entry === undefined) return undefined;
    const rows = Array.isArray(entry) ? entry : [entry];
    for (let i = rows.length - 1; i >= 0; i--) {
      const row = rows[i] as LineRow;
      if (field === undefined || Object.hasOwn(row.fields, field)) return row.line;
    }
    return undefined;
  }

  /** Every row (by its segment) in the order a Map of paths would have been filled: per name, oldest first. */
  *rows(): Generator<[string, LineRow]> {
    for (const [segment, entry] of this.bySegment) {
      for (const row of Array.isArray(entry) ? entry : [entry]) yield [segment, row];
    }
  }
}
