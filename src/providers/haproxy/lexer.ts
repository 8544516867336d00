import { ParseError } from '../../errors.js';

/** One configuration line: its keyword words and arguments, unquoted and unescaped. */
export interface HaproxyLine {
  words: string[];
  line: number;
}

/** A section (`backend api`) with the lines under it. */
export interface HaproxySection {
  type: string;
  name: string;
  /** Arguments after the name on the section line (`listen stats :1936`, `defaults http from base`). */
  args: string[];
  line: number;
  lines: HaproxyLine[];
}

export const SECTION_KEYWORDS = new Set([
  'global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'resolvers', 'peers', 'cache',
  'mailers', 'program', 'http-errors', 'ring', 'log-forward', 'fcgi-app', 'crt-store', 'traces',
]);

const MAX_BYTES = 20 * 1024 * 1024;
const TEMPLATE = /\{\{|\{%|<%|\{#/;

/**
 * Splits haproxy.cfg into sections and lines with HAProxy's own quoting rules: white space
 * separates words, `#` starts a comment outside quotes, `\` escapes, "..." and '...' quote.
 * Throws ParseError with a line for what HAProxy itself would refuse to read.
 */
export function lexHaproxy(text: string, origin: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  scanHaproxy(text, origin, (section) => sections.push(section));
  return sections;
}

/**
 * lexHaproxy, handing over each section as soon as its last line is read, so that a caller can
 * build it while its words are fresh (they need not outlive the section: far less for the
 * garbage collector to copy in a config of 30,000 lines).
 */
export function scanHaproxy(text: string, origin: string, onSection: (section: HaproxySection) => void): void {
  const rows = new HaproxyRows(text, origin);
  let current: HaproxySection | undefined;
  for (let words = rows.next(); words !== undefined; words = rows.next()) {
    if (words.length === 0) continue;
    const next = addLine(current, words, rows.line, origin);
    if (next !== current && current) onSection(current);
    current = next;
  }
  if (current) onSection(current);
}

/**
 * haproxy.cfg row by row, as `text.split(/\r?\n/)` gives the rows but without building that
 * array, each row lexed when read. A caller that already knows the next rows (a section parsed
 * before, see model.ts) skips them unread.
 */
export class HaproxyRows {
  /** 1-based line of the row last read, and where it starts and ends (before any `\r\n`). */
  line = 0;
  rowStart = 0;
  rowEnd = 0;
  /** Where the next row starts. */
  nextStart = 0;
  done = false;
  /** The words of the row at `at`, lexed by sectionBoundaryAt: next() need not lex it again. */
  private peeked: { at: number; words: string[] } | undefined;
  /** Likewise the text of the row at `at`. */
  private peekedText: { at: number; text: string } | undefined;

  constructor(
    readonly text: string,
    private readonly origin: string,
  ) {
    if (text.length > MAX_BYTES) throw new ParseError(origin, 1, `file larger than ${MAX_BYTES} bytes`);
  }

  /** The words of the next row, or undefined after the last one. */
  next(): string[] | undefined {
    if (this.done) return undefined;
    const { text } = this;
    const start = this.nextStart;
    const nl = text.indexOf('\n', start);
    this.line++;
    this.rowStart = start;
    this.rowEnd = rowEnd(text, start, nl);
    if (nl === -1) this.done = true;
    else this.nextStart = nl + 1;
    if (this.peeked?.at === start) return this.peeked.words;
    return splitWords(text, start, this.rowEnd, this.origin, this.line);
  }

  /** The text of the next row, unlexed (undefined after the last one). */
  nextRowText(): string | undefined {
    if (this.done) return undefined;
    return this.rowTextAt(this.nextStart);
  }

  /** Skips the next `length` characters unread: rows holding `newlines` line breaks. */
  skip(length: number, newlines: number): void {
    this.nextStart += length;
    this.line += newlines;
    if (this.nextStart >= this.text.length && !this.text.endsWith('\n')) this.done = true;
  }

  /**
   * Whether a section starts at `at`: the start of a row whose first word is a section
   * keyword, or the end of the text. `known` answers for row texts already known to be section
   * headers, without lexing them. Never throws: a row that does not lex is no section here (it
   * fails again, with its error, when it is read).
   */
  sectionBoundaryAt(at: number, known: (row: string) => boolean): boolean {
    const { text } = this;
    if (at === text.length) return true;
    if (at > text.length || text.charCodeAt(at - 1) !== NEWLINE) return false;
    if (known(this.rowTextAt(at))) return true;
    try {
      const words = splitWords(text, at, rowEnd(text, at, text.indexOf('\n', at)), this.origin, 0);
      this.peeked = { at, words };
      return words[0] !== undefined && SECTION_KEYWORDS.has(words[0]);
    } catch {
      return false;
    }
  }

  private rowTextAt(at: number): string {
    if (this.peekedText?.at === at) return this.peekedText.text;
    const text = this.text.slice(at, rowEnd(this.text, at, this.text.indexOf('\n', at)));
    this.peekedText = { at, text };
    return text;
  }
}

const CR = 13;
const NEWLINE = 10;

/** Where the row starting at `start` ends: at its `\n` (or the text's end), before a `\r` that precedes a `\n`. */
function rowEnd(text: string, start: number, nl: number): number {
  return nl === -1 ? text.length : nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
}

/** Puts one non-empty line where it belongs: it opens a new section (returned), or joins the current one. */
export function addLine(current: HaproxySection | undefined, words: string[], lineNo: number, origin: string): HaproxySection {
  const first = words[0] as string;
  if (SECTION_KEYWORDS.has(first)) return { type: first, name: words[1] ?? '', args: words.slice(2), line: lineNo, lines: [] };
  if (!current) {
    throw new ParseError(origin, lineNo, `keyword ${quoteToken(first)} outside of any section; a file starts with a section such as global, defaults, frontend or backend`);
  }
  current.lines.push({ words, line: lineNo });
  return current;
}

/**
 * The words of the row text[start, end). Most rows have no quote and no backslash: their words
 * are slices between blanks, found without building strings a character at a time. The rest
 * go through the full scanner (quotedWords).
 */
function splitWords(text: string, start: number, end: number, origin: string, line: number): string[] {
  const words: string[] = [];
  let wordStart = -1;
  let stop = end;
  let braceOrAngle = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      if (wordStart >= 0) words.push(text.slice(wordStart, i));
      wordStart = -1;
    } else if (c === HASH) {
      stop = i;
      break;
    } else if (c === DQUOTE || c === SQUOTE || c === BACKSLASH) {
      return quotedWords(text.slice(start, end), origin, line);
    } else {
      if (c === LBRACE || c === LT) braceOrAngle = true;
      if (wordStart < 0) wordStart = i;
    }
  }
  if (wordStart >= 0) words.push(text.slice(wordStart, stop));
  // Template syntax needs `{` or `<`: only rows holding one are checked word by word.
  if (braceOrAngle) rejectTemplates(words, origin, line);
  return words;
}

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const LBRACE = 123;
const LT = 60;

/** HAProxy's quoting rules, a character at a time: for rows with quotes or backslashes. */
function quotedWords(row: string, origin: string, line: number): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < row.length; i++) {
    const c = row[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < row.length) word += unescape(row[++i] as string);
      else word += c;
      continue;
    }
    if (c === '\\' && i + 1 < row.length) {
      word += unescape(row[++i] as string);
      inWord = true;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '#') {
      break;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ParseError(origin, line, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  rejectTemplates(words, origin, line);
  return words;
}

function rejectTemplates(words: string[], origin: string, line: number): void {
  const templated = words.find((w) => TEMPLATE.test(w));
  if (templated !== undefined) {
    throw new ParseError(origin, line, `template syntax ${quoteToken(templated)} (Jinja/ERB/Go template) is not HAProxy; render the template first`);
  }
}

function unescape(c: string): string {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return c;
  }
}

/** At most 40 characters of a token: messages never echo whole lines (they may hold secrets). */
export function quoteToken(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 39)}…` : token);
}
