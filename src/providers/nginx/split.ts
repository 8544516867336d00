import type { TextBlock, TextSplit } from '../../diff/narrow.js';
import { BACKSLASH, DOLLAR, DQUOTE, HASH, isSpaceCode, LBRACE, RBRACE, RPAREN, SEMI, SPACE, SQUOTE } from './chars.js';

/**
 * nginx.conf's `upstream NAME { ... }` blocks found by raw text, for narrowTexts. The scan
 * jumps from one character that matters to the next (`{ } ; # " ' \`) and follows the
 * tokenizer of lexer.ts at each: `#` and quotes count only where a token starts, a backslash
 * escapes the next character, `${` does not open a block, a `}` inside a word is text.
 *
 * An upstream's tree depends on its own text only (every upstream lands in `upstreams` under
 * its name, wherever it is written). Undefined (do not narrow) for anything the parser treats
 * specially or the raw reading could get wrong: `include` (parseAll follows it), Lua blocks,
 * template markers, the words `upstreams` and `frontends` (they would collide with the
 * collections), a repeated or quoted upstream name, unbalanced braces or quotes.
 *
 * Server blocks are not narrowed: a server block's name comes from its `listen` and
 * `server_name` directives, numbered when repeated, which a raw reading cannot tell safely.
 * An upstream stays parsed (`blankable: false`) unless its body is plain directives: no block,
 * quote, backslash or comment inside, every directive ended by `;`.
 */
export function splitNginx(text: string): TextSplit | undefined {
  for (const word of GIVE_UP) if (text.includes(word)) return undefined;
  const blocks: TextBlock[] = [];
  const names = new Set<string>();
  /** Open blocks; for an upstream, where its directive starts and its name. */
  const stack: ({ start: number; name: string; bodyStart: number } | null)[] = [];
  let upstreamsOpen = 0;
  /** Where the last delimiter (`;`, `{` or `}` read as one) or the last escaped character is. */
  let delimiter = -1;
  let escaped = -1;
  /** Where the scan went on after its last stop (what it skipped before that is not read again). */
  let resumed = 0;
  const atTokenStart = (i: number): boolean => i === 0 || delimiter === i - 1 || (escaped !== i - 1 && isSpaceCode(text.charCodeAt(i - 1)));
  // The scan stops at `{ } # " ' \\` only, not at each of the many `;`: the text between where
  // it went on and the next stop holds no comment or quoted word, so its last `;` is the last
  // delimiter (searched in that stretch alone).
  const re = /[{}#"'\\]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    const from = resumed;
    resumed = i + 1;
    const semi = text.slice(from, i).lastIndexOf(';');
    if (semi >= 0) delimiter = from + semi;
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      escaped = i + 1;
      re.lastIndex = resumed = i + 2;
    } else if (c === HASH) {
      if (!atTokenStart(i)) continue;
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      re.lastIndex = resumed = nl;
    } else if (c === DQUOTE || c === SQUOTE) {
      if (!atTokenStart(i)) continue;
      const end = endOfQuoted(text, i, c);
      if (end < 0) return undefined;
      re.lastIndex = resumed = end;
    } else if (c === LBRACE) {
      // `${name}`: a brace right after `$` belongs to the word.
      if (text.charCodeAt(i - 1) === DOLLAR && escaped !== i - 1) continue;
      const head = directive(text, delimiter + 1, i);
      if (head === undefined) return undefined;
      if (upstreamsOpen === 0 && head.name === 'upstream') {
        if (head.args.length !== 1) return undefined;
        const name = head.args[0] as string;
        if (names.has(name)) return undefined;
        names.add(name);
        stack.push({ start: head.start, name, bodyStart: i + 1 });
        upstreamsOpen++;
      } else stack.push(null);
      delimiter = i;
    } else if (c === RBRACE) {
      if (!atTokenStart(i)) continue;
      const top = stack.pop();
      if (top === undefined) return undefined;
      delimiter = i;
      if (top === null) continue;
      upstreamsOpen--;
      blocks.push({ start: top.start, end: i + 1, key: top.name, kind: 'upstream', blankable: plainBody(text.slice(top.bodyStart, i)) });
    }
  }
  if (stack.length !== 0) return undefined;
  return { blocks, frame: '' };
}

const GIVE_UP = ['include', '_by_lua_block', 'upstreams', 'frontends', '{{', '{%', '<%'];


/**
 * The words of a block's directive: text[from, to) up to its `{`, after the last delimiter
 * (comments left out). Undefined when it is quoted or escaped (left to the parser to read) or
 * has no name (the parser refuses it).
 */
function directive(text: string, from: number, to: number): { name: string; args: string[]; start: number } | undefined {
  let head = text.slice(from, to);
  if (head.includes('#')) head = head.replace(COMMENT, '$1');
  if (head.includes('"') || head.includes("'") || head.includes('\\')) return undefined;
  const words = head.split(BLANKS).filter((w) => w !== '');
  const name = words[0];
  if (name === undefined) return undefined;
  // Where the name starts: comments before it are left out above, so search past them.
  let start = from;
  for (;;) {
    start = text.indexOf(name, start);
    if (start < 0 || start >= to) return undefined;
    const before = start > from ? text.charCodeAt(start - 1) : SPACE;
    if (isSpaceCode(before) || start === from) break;
    start++;
  }
  return { name, args: words.slice(1), start };
}

/** A comment where a token starts, to the end of its row (keeping what came before it). */
const COMMENT = /(^|[ \t\r\n])#[^\n]*/g;
const BLANKS = /[ \t\r\n]+/;

/** After a quoted word starting at `i` (its closing quote must be followed by a separator), or -1. */
function endOfQuoted(text: string, i: number, q: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === q) {
      const after = text.charCodeAt(j + 1);
      if (Number.isNaN(after) || isSpaceCode(after) || after === SEMI || after === LBRACE || after === RPAREN) return j + 1;
      return -1;
    }
  }
  return -1;
}

/**
 * Plain directives only, each ended by `;`: nothing in it that the parser may refuse or read
 * otherwise. (Tested with patterns that start with a literal character, or from the ends: a
 * pattern that may match anywhere is tried at every character of every upstream.)
 */
function plainBody(body: string): boolean {
  if (UNPLAIN.test(body) || EMPTY_DIRECTIVE.test(body)) return false;
  // A `;` with no directive before it at the start, or words after the last `;` (a directive missing its `;`).
  const first = skipBlanks(body, 0, 1);
  const last = skipBlanks(body, body.length - 1, -1);
  if (first < body.length && body.charCodeAt(first) === SEMI) return false;
  return last < 0 || body.charCodeAt(last) === SEMI;
}

/** From `i` in direction `step`, the first character that is not a blank (or past the end). */
function skipBlanks(text: string, i: number, step: 1 | -1): number {
  while (i >= 0 && i < text.length && isSpaceCode(text.charCodeAt(i))) i += step;
  return i;
}

const UNPLAIN = /[{}#"'\\$]/;
/** `;` with no directive between it and the `;` before it. */
const EMPTY_DIRECTIVE = /;[ \t\r\n]*;/;
