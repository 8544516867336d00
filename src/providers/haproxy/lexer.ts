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
  if (text.length > MAX_BYTES) throw new ParseError(origin, 1, `file larger than ${MAX_BYTES} bytes`);
  const sections: HaproxySection[] = [];
  let current: HaproxySection | undefined;
  // Rows as `text.split(/\r?\n/)` gives them, without building that array of 30,000 strings.
  let lineNo = 0;
  for (let start = 0; ; ) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    lineNo++;
    const words = splitWords(text, start, end, origin, lineNo);
    if (words.length > 0) current = addLine(sections, current, words, lineNo, origin);
    if (nl === -1) break;
    start = nl + 1;
  }
  return sections;
}

const CR = 13;

/** Puts one non-empty line where it belongs: it opens a section, or joins the current one. */
function addLine(sections: HaproxySection[], current: HaproxySection | undefined, words: string[], lineNo: number, origin: string): HaproxySection {
  const first = words[0] as string;
  if (SECTION_KEYWORDS.has(first)) {
    const section = { type: first, name: words[1] ?? '', args: words.slice(2), line: lineNo, lines: [] };
    sections.push(section);
    return section;
  }
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
