/**
 * Parsed blocks of config text (an HAProxy section, an nginx upstream) kept for reuse. A check
 * parses the approved text and then the live one, and the next check parses both again: most
 * blocks of a big config come back unchanged, so a block whose exact text was parsed recently
 * is taken from here instead of being lexed and built again. The parsers verify the text
 * itself (`text.startsWith(entry.text, at)`), so a hit is always the same input, and the
 * block's subtree is frozen (see `shareable`), so sharing it between trees is safe.
 *
 * Bounded by the length of the texts it holds. Two generations stand in for least-recently
 * used: entries used since the last rotation survive the next one.
 */
export interface CachedBlock {
  /** The block's exact source text. */
  text: string;
}

export class BlockCache<E extends CachedBlock> {
  private current = new Map<string, E[]>();
  private previous = new Map<string, E[]>();
  private chars = 0;

  /**
   * @param budgetChars characters of text held at most (about twice that in memory for the trees)
   * @param versions entries kept per key (the approved block and a few live variants)
   */
  constructor(
    private readonly budgetChars: number,
    private readonly versions = 4,
  ) {}

  /**
   * The entries kept under `key`, oldest first, or undefined. Entries of the older generation
   * move to the current one: they are in use.
   */
  get(key: string): readonly E[] | undefined {
    const list = this.current.get(key);
    if (list) return list;
    const old = this.previous.get(key);
    if (!old) return undefined;
    this.previous.delete(key);
    for (const entry of old) this.add(key, entry);
    return this.current.get(key) ?? old;
  }

  add(key: string, entry: E): void {
    let list = this.current.get(key);
    if (!list) {
      list = [];
      this.current.set(key, list);
    }
    list.push(entry);
    if (list.length > this.versions) list.shift();
    this.chars += entry.text.length;
    if (this.chars > this.budgetChars / 2) this.rotate();
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
    this.chars = 0;
  }

  private rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.chars = 0;
  }
}

/**
 * A copy of a slice of a config text. V8 keeps a slice as a view of the whole text: a cached
 * block must not keep its whole file alive.
 */
export function detached(slice: string): string {
  return ` ${slice}`.slice(1);
}

/** The line breaks in `text` from `from` on. */
export function countNewlines(text: string, from = 0): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
