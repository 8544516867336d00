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
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const lineNo = i + 1;
    const words = splitWords(rows[i] as string, origin, lineNo);
    if (words.length === 0) continue;
    const first = words[0] as string;
    if (SECTION_KEYWORDS.has(first)) {
      const [, name = '', ...args] = words;
      current = { type: first, name, args, line: lineNo, lines: [] };
      sections.push(current);
      continue;
    }
    if (!current) {
      throw new ParseError(origin, lineNo, `keyword ${quoteToken(first)} outside of any section; a file starts with a section such as global, defaults, frontend or backend`);
    }
    current.lines.push({ words, line: lineNo });
  }
  return sections;
}

function splitWords(row: string, origin: string, line: number): string[] {
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
  const templated = words.find((w) => TEMPLATE.test(w));
  if (templated !== undefined) {
    throw new ParseError(origin, line, `template syntax ${quoteToken(templated)} (Jinja/ERB/Go template) is not HAProxy; render the template first`);
  }
  return words;
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
