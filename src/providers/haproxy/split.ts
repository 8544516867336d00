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
  RISKY.lastIndex = 0;
  const risky = RISKY.test(text);
  if (risky && QUOTED_FIRST_WORD.test(text)) return undefined;
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
  HEADER.lastIndex = 0;
  for (let m = HEADER.exec(text); m !== null; m = HEADER.exec(text)) {
    const type = m[1];
    const rest = m[2] as string;
    if (type === undefined) return undefined; // a server row without an address
    close(m.index);
    // The header's name and arguments are read raw: give up on any quoting in the row.
    if (rest.includes('"') || rest.includes("'") || rest.includes('\\')) return undefined;
    const name = NAME.exec(rest)?.[1] ?? '';
    const id = `${type} ${name}`;
    if (type === 'defaults') defaultsSeen++;
    else if (type !== 'global') {
      if (seen.has(id)) return undefined;
      seen.add(id);
    }
    open = { start: m.index, type, key: `${id}\u0000${defaultsSeen}` };
  }
  close(text.length);
  if (risky) markRisky(text, blocks);
  return { blocks, frame: frame.join('\u0000') };
}

const KEYWORDS = [...SECTION_KEYWORDS].map((k) => k.replace(/[-]/g, '\\-')).join('|');
/**
 * A section header row (its keyword and the rest of the row), or a `server` row without an
 * address (`server NAME` or `server` alone, which the parser refuses in a backend): one pass.
 */
const HEADER = new RegExp(`^[ \\t]*(?:(${KEYWORDS})(?=[ \\t#\\n]|$)([^\\n]*)|server(?:[ \\t]+[^ \\t\\n#]+)?[ \\t]*(?:#[^\\n]*)?$)`, 'gm');
/** The header's name: its first word after the keyword (a comment ends the row). */
const NAME = /^[ \t]*([^ \t#]+)/;
/** A row whose first word holds a quote or a backslash. */
const QUOTED_FIRST_WORD = /^[ \t]*[^ \t\n#"'\\]*["'\\]/m;
/** Quotes, backslashes and template markers: what the lexer may refuse (an unterminated quote, a template). */
const RISKY = /["'\\]|\{\{|\{%|<%|\{#/g;

/** Blocks holding a risky character are not blanked. Blocks are in order; so are the matches. */
function markRisky(text: string, blocks: TextBlock[]): void {
  let b = 0;
  RISKY.lastIndex = 0;
  for (let m = RISKY.exec(text); m !== null; m = RISKY.exec(text)) {
    while (b < blocks.length && (blocks[b] as TextBlock).end <= m.index) b++;
    const block = blocks[b];
    if (block === undefined) return;
    if (block.start <= m.index) {
      block.blankable = false;
      // The rest of this block need not be searched.
      RISKY.lastIndex = Math.max(RISKY.lastIndex, block.end);
    }
  }
}
