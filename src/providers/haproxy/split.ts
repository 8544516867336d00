import type { TextBlock, TextSplit } from '../../diff/narrow.js';
import { SECTION_KEYWORDS } from './lexer.js';

/**
 * haproxy.cfg cut into sections by raw text, for narrowTexts: a section starts at a row whose
 * first word is a section keyword and runs to the next one. The rows are found by regular
 * expressions over the whole text; no row is split into words.
 *
 * A section's tree depends on its own text and on the defaults before it: the global and
 * defaults sections (the frame) must be byte for byte the same on both sides, and a block's
 * key counts the defaults sections before it. Undefined (do not narrow) for anything the raw
 * reading could get wrong or the parser must report: a first word with a quote or a backslash
 * (the lexer would unquote it), a header with one, a section name repeated on a side, a
 * `server` row without an address.
 *
 * Sections holding a quote, a backslash or a template marker stay parsed (`blankable: false`):
 * the lexer may refuse them.
 */
export function splitHaproxy(text: string): TextSplit | undefined {
  // Most configs hold no quote at all: then no first word holds one, and no block is risky.
  const risky = new RiskyMarks(text);
  if (risky.next(0) !== -1 && QUOTED_FIRST_WORD.test(text)) return undefined;
  const blocks: TextBlock[] = [];
  const frame: string[] = [];
  const seen = new Set<string>();
  let defaultsSeen = 0;
  let open: { start: number; type: string; key: string } | undefined;
  const close = (end: number): void => {
    if (!open) return;
    const { start, type, key } = open;
    if (type === 'global' || type === 'defaults') frame.push(text.slice(start, end));
    else blocks.push({ start, end, key, kind: type, blankable: true });
    open = undefined;
  };
  /** A section header row: false when its name or arguments are quoted, or the name repeats. */
  const header = (row: number, word: string, rest: string): boolean => {
    close(row);
    // The header's name and arguments are read raw: give up on any quoting in the row.
    if (rest.includes('"') || rest.includes("'") || rest.includes('\\')) return false;
    const name = NAME.exec(rest)?.[1] ?? '';
    const id = `${word} ${name}`;
    if (word === 'defaults') defaultsSeen++;
    else if (word !== 'global') {
      if (seen.has(id)) return false;
      seen.add(id);
    }
    open = { start: row, type: word, key: `${id}\u0000${defaultsSeen}` };
    return true;
  };
  // Row by row, reading only each row's first word (and a `server` row's next two).
  for (let row = 0; row < text.length; ) {
    let end = text.indexOf('\n', row);
    if (end === -1) end = text.length;
    const first = skipBlanks(text, row, end);
    const wordEnd = wordEndAt(text, first, end);
    const length = wordEnd - first;
    // Most rows are `server` rows or options: only a word that may be a keyword is cut out.
    if (length === 6 && text.startsWith('server', first)) {
      if (!hasAddress(text, wordEnd, end)) return undefined; // a server row without an address: the parser must say so
    } else if (length >= SHORTEST && length <= LONGEST && INITIALS.has(text.charCodeAt(first))) {
      const word = text.slice(first, wordEnd);
      if (SECTION_KEYWORDS.has(word) && !header(row, word, text.slice(wordEnd, end))) return undefined;
    }
    row = end + 1;
  }
  close(text.length);
  markRisky(risky, blocks);
  return { blocks, frame: frame.join('\u0000') };
}

const isBlank = (c: number): boolean => c === 32 || c === 9;
const INITIALS = new Set([...SECTION_KEYWORDS].map((k) => k.charCodeAt(0)));
const SHORTEST = Math.min(...[...SECTION_KEYWORDS].map((k) => k.length));
const LONGEST = Math.max(...[...SECTION_KEYWORDS].map((k) => k.length));

function skipBlanks(text: string, i: number, end: number): number {
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** The end of the word at `i`: a blank, a `#` or the end of the row ends it. */
function wordEndAt(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isBlank(c) || c === 35) break;
    i++;
  }
  return i;
}

/** Whether the rest of a `server` row (from after the keyword) has a name and then an address. */
function hasAddress(text: string, i: number, end: number): boolean {
  const name = skipBlanks(text, i, end);
  const address = skipBlanks(text, wordEndAt(text, name, end), end);
  return name > i && name < end && text.charCodeAt(name) !== 35 && address < end && text.charCodeAt(address) !== 35;
}

/** The header's name: its first word after the keyword (a comment ends the row). */
const NAME = /^[ \t]*([^ \t#]+)/;
/** A row whose first word holds a quote or a backslash. */
const QUOTED_FIRST_WORD = /^[ \t]*[^ \t\n#"'\\]*["'\\]/m;
/** Quotes, backslashes and template markers: what the lexer may refuse (an unterminated quote, a template). */
const RISKY_MARKS = ['"', "'", '\\', '{{', '{%', '<%', '{#'];

/**
 * Where the next risky mark is, found with indexOf (a search for a few bytes, much faster than a
 * regular expression over a big text); each mark's next place is kept until passed.
 */
class RiskyMarks {
  private readonly at: number[];

  constructor(private readonly text: string) {
    this.at = RISKY_MARKS.map((m) => text.indexOf(m));
  }

  /** The first risky mark at or after `from`, or -1. */
  next(from: number): number {
    let best = -1;
    for (let k = 0; k < RISKY_MARKS.length; k++) {
      let at = this.at[k] as number;
      if (at !== -1 && at < from) this.at[k] = at = this.text.indexOf(RISKY_MARKS[k] as string, from);
      if (at !== -1 && (best === -1 || at < best)) best = at;
    }
    return best;
  }
}

/** Blocks holding a risky mark are not blanked. Blocks are in order; so are the marks. */
function markRisky(risky: RiskyMarks, blocks: TextBlock[]): void {
  let b = 0;
  for (let at = risky.next(0); at !== -1; ) {
    while (b < blocks.length && (blocks[b] as TextBlock).end <= at) b++;
    const block = blocks[b];
    if (block === undefined) return;
    if (block.start <= at) {
      block.blankable = false;
      at = risky.next(block.end); // the rest of this block need not be searched
    } else at = risky.next(at + 1);
  }
}
