/**
 * nginx configuration parser: a hand-written, linear-time character scanner that follows
 * nginx's own tokenizer (ngx_conf_read_token) closely enough that drift comparisons see the
 * same directives nginx sees. Configs may hold secrets, so error details never echo source
 * lines: at most the first 40 characters of one token.
 */
import { ParseError } from '../../errors.js';
import { BACKSLASH, DOLLAR, DQUOTE, HASH, isSpaceCode, LBRACE, LF, LT, PERCENT, RBRACE, RPAREN, SEMI, SQUOTE } from './chars.js';

export interface NginxDirective {
  name: string;
  /** Arguments with quotes removed and escapes resolved as nginx does. */
  args: string[];
  /** 1-based line where the directive name starts. */
  line: number;
  file: string;
  /** Present for block directives, even when empty. */
  block?: NginxDirective[];
  /** For `*_by_lua_block` directives: the Lua body between the braces, untokenised. */
  raw?: string;
  /** Reusing parses only (see BlockReuse): where an `upstream` block's text starts, its body starts (after `{`) and it ends. */
  span?: { start: number; bodyStart: number; end: number };
  /** Reusing parses only: the `upstream` block was skipped unread, being this one parsed before. */
  reused?: ReusedBlock;
}

/**
 * Lets a parse skip `upstream` blocks it has seen before (model.ts keeps them): a big config is
 * thousands of upstream blocks, and most come back unchanged from one parse to the next.
 */
export interface BlockReuse {
  /**
   * At the `{` of an `upstream` block whose directive starts at `start` (its body at
   * `bodyStart`): a block parsed before whose whole text, through its `}`, starts there.
   */
  find(text: string, start: number, bodyStart: number): ReusedBlock | undefined;
}

export interface ReusedBlock {
  /** Length of the block's text, from its directive through its `}`. */
  length: number;
  /** Line breaks after its `{`. */
  newlinesInBody: number;
}

const MAX_INPUT_BYTES = 20 * 1024 * 1024;
const MAX_DEPTH = 100;
const TEMPLATE_DETAIL = 'template syntax (Jinja/ERB/Go template) is not nginx; render the template first';

/** What Scanner.next() read: its text (a word's) and line are in Scanner.value and Scanner.tokenLine. */
const EOF = 0;
const WORD = 1;
const SEMICOLON = 2;
const OPEN = 3;
const CLOSE = 4;
type TokenKind = typeof EOF | typeof WORD | typeof SEMICOLON | typeof OPEN | typeof CLOSE;

// Character codes: the scanner reads codes, not one-character strings (a config is a million characters).

/** Quotes at most 40 characters of one token, so messages cannot leak whole secrets or lines. */
function preview(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** nginx resolves \" \' \\ \t \r \n in every word (quoted or not); other backslashes stay (regex `\.`). */
function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    const n = c === '\\' ? raw.charAt(i + 1) : '';
    if (n === '"' || n === "'" || n === '\\') out += n;
    else if (n === 't') out += '\t';
    else if (n === 'r') out += '\r';
    else if (n === 'n') out += '\n';
    else {
      out += c;
      continue;
    }
    i++;
  }
  return out;
}

class Scanner {
  pos = 0;
  line = 1;
  /** Where the token last returned by next() starts, its line, and a word's text. */
  tokenStart = 0;
  tokenLine = 1;
  value = '';
  constructor(
    private readonly text: string,
    private readonly origin: string,
  ) {}

  fail(line: number, detail: string): never {
    throw new ParseError(this.origin, line, detail);
  }

  /** `{{`/`{%` (Jinja, Go templates) and `<%` (ERB) never occur in real nginx outside quotes. */
  private checkTemplate(i: number): void {
    const c = this.text.charCodeAt(i);
    const n = this.text.charCodeAt(i + 1);
    if ((c === LBRACE && (n === LBRACE || n === PERCENT)) || (c === LT && n === PERCENT)) this.fail(this.line, TEMPLATE_DETAIL);
  }

  /** Reads the next token: its kind is returned; a word's text goes to `value`, every token's line to `tokenLine`. */
  next(): TokenKind {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c)) {
        this.tokenLine = this.line;
        return EOF;
      }
      if (c === HASH) {
        // A comment only when `#` starts a token; it runs to the end of the line.
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl === -1 ? t.length : nl;
      } else if (isSpaceCode(c)) {
        if (c === LF) this.line++;
        this.pos++;
      } else break;
    }
    this.tokenLine = this.line;
    this.tokenStart = this.pos;
    const c = t.charCodeAt(this.pos);
    if (c === LBRACE) this.checkTemplate(this.pos);
    if (c === SEMI || c === LBRACE || c === RBRACE) {
      this.pos++;
      return c === SEMI ? SEMICOLON : c === LBRACE ? OPEN : CLOSE;
    }
    this.value = c === DQUOTE || c === SQUOTE ? this.quoted(c) : this.bare();
    return WORD;
  }

  /** A quoted word: may span lines; `;`, `{`, `}` and `#` inside are plain text. */
  private quoted(q: number): string {
    const t = this.text;
    const line = this.tokenLine;
    let i = this.pos + 1;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c)) this.fail(line, `unterminated ${q === DQUOTE ? 'double' : 'single'}-quoted string`);
      if (c === q) break;
      if (c === BACKSLASH) i++;
      if (t.charCodeAt(i) === LF) this.line++;
      i++;
    }
    const value = unescape(t.slice(this.pos + 1, i));
    this.pos = i + 1;
    // Like nginx, a closing quote must be followed by a separator (`"a"b` is an error).
    const after = t.charCodeAt(this.pos);
    if (!Number.isNaN(after) && !isSpaceCode(after) && after !== SEMI && after !== LBRACE && after !== RPAREN) {
      this.fail(this.line, `unexpected ${preview(t.charAt(this.pos))} after a closing quote`);
    }
    return value;
  }

  /** An unquoted word ends at whitespace, `;` or `{`; `}`, quotes and `#` inside it are plain text. */
  private bare(): string {
    const t = this.text;
    const start = this.pos;
    let i = start;
    let variable = false;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c) || isSpaceCode(c) || c === SEMI) break;
      if (c === LBRACE) {
        // `${name}`: a brace right after `$` belongs to the word, it does not open a block.
        if (!variable) break;
        this.checkTemplate(i);
      } else if (c === LT) this.checkTemplate(i);
      else if (c === BACKSLASH) {
        // A backslash makes the next character literal, even a separator or a newline.
        i++;
        if (t.charCodeAt(i) === LF) this.line++;
      }
      variable = c === DOLLAR || (variable && c === LBRACE);
      if (i < t.length) i++;
    }
    this.pos = i;
    return unescape(t.slice(start, i));
  }

  /** Moves past text known to hold `newlines` line breaks (a block parsed before). */
  skipTo(pos: number, newlines: number): void {
    this.pos = pos;
    this.line += newlines;
  }

  /**
   * Reads a `*_by_lua_block` body after its `{` up to the matching `}`. Braces inside Lua
   * strings, long brackets and comments do not count, so the body is skipped, not tokenised.
   */
  readLuaBody(openLine: number): string {
    const t = this.text;
    const start = this.pos;
    let depth = 1;
    let i = start;
    for (;;) {
      const c = t.charAt(i);
      if (c === '') this.fail(openLine, "unexpected end of file in Lua block, expecting '}'");
      if (c === '}' && --depth === 0) break;
      if (c === '{') depth++;
      else if (c === '\n') this.line++;
      else if (c === '"' || c === "'") {
        i = this.skipLuaString(i, c);
        continue;
      } else if (c === '[') {
        i = this.skipLongBracket(i) ?? i + 1;
        continue;
      } else if (c === '-' && t.charAt(i + 1) === '-') {
        // `--[[ ... ]]` is a long comment; any other `--` comment runs to the end of the line
        // (the newline itself is left for the loop to count).
        const long = this.skipLongBracket(i + 2);
        const nl = long === undefined ? t.indexOf('\n', i) : -1;
        i = long ?? (nl === -1 ? t.length : nl);
        continue;
      }
      i++;
    }
    this.pos = i + 1;
    return t.slice(start, i);
  }

  /** Lua short string with backslash escapes; an unescaped newline ends it with an error, as in Lua. */
  private skipLuaString(i: number, q: string): number {
    const t = this.text;
    const line = this.line;
    for (let j = i + 1; ; j++) {
      const c = t.charAt(j);
      if (c === q) return j + 1;
      if (c === '' || c === '\n') this.fail(line, 'unterminated string in Lua block');
      if (c === '\\') {
        j++;
        if (t.charAt(j) === '\n') this.line++;
      }
    }
  }

  /** Lua long bracket `[[...]]` / `[==[...]==]` at i; returns the index after it, or undefined if none starts here. */
  private skipLongBracket(i: number): number | undefined {
    const t = this.text;
    if (t.charAt(i) !== '[') return undefined;
    let j = i + 1;
    while (t.charAt(j) === '=') j++;
    if (t.charAt(j) !== '[') return undefined;
    const close = `]${'='.repeat(j - i - 1)}]`;
    const end = t.indexOf(close, j + 1);
    if (end === -1) this.fail(this.line, 'unterminated long string or comment in Lua block');
    for (let k = j; k < end; k++) if (t.charCodeAt(k) === 10) this.line++;
    return end + close.length;
  }
}

/**
 * Parses one nginx config text. Throws ParseError(origin, line, detail) on invalid syntax,
 * nothing else. With `reuse`, `upstream` blocks get their `span`, and one seen before is
 * skipped unread (`reused`, with an empty block).
 */
export function parseNginx(text: string, origin: string, reuse?: BlockReuse): NginxDirective[] {
  if (text.length > MAX_INPUT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    throw new ParseError(origin, 1, 'config is larger than 20 MB; refusing to parse it');
  }
  const s: Scanner = new Scanner(text, origin);
  const root: NginxDirective[] = [];
  // Open blocks as an explicit stack (no recursion): the list to return to and where `{` was
  // (and, for an upstream block of a reusing parse, where its directive started).
  const open: { parent: NginxDirective[]; line: number; name: string; spanOf?: NginxDirective; start?: number; bodyStart?: number }[] = [];
  let list = root;
  let pending: NginxDirective | undefined;
  let pendingStart = 0;
  for (;;) {
    const kind = s.next();
    const line = s.tokenLine;
    switch (kind) {
      case WORD:
        if (pending) pending.args.push(s.value);
        else {
          pending = { name: s.value, args: [], line, file: origin };
          pendingStart = s.tokenStart;
        }
        break;
      case SEMICOLON:
        if (!pending) s.fail(line, "unexpected ';' without a directive");
        list.push(pending);
        pending = undefined;
        break;
      case OPEN: {
        if (!pending) s.fail(line, "unexpected '{' without a directive name");
        const { name, args, line: at, file } = pending;
        pending = undefined;
        // Only the directive NAME decides: `server_name content_by_lua_block;` is an ordinary argument.
        if (name.endsWith('_by_lua_block')) {
          const d: NginxDirective = { name, args, line: at, file, block: [] };
          list.push(d);
          d.raw = s.readLuaBody(line);
          break;
        }
        if (open.length >= MAX_DEPTH) s.fail(line, `blocks nested deeper than ${MAX_DEPTH} levels`);
        const reusing = reuse !== undefined && name === 'upstream';
        const known = reusing ? reuse.find(text, pendingStart, s.pos) : undefined;
        if (known) {
          list.push({ name, args, line: at, file, block: [], reused: known });
          s.skipTo(pendingStart + known.length, known.newlinesInBody);
          break;
        }
        const d: NginxDirective = { name, args, line: at, file, block: [] };
        list.push(d);
        open.push({ parent: list, line, name, ...(reusing ? { spanOf: d, start: pendingStart, bodyStart: s.pos } : {}) });
        list = d.block as NginxDirective[];
        break;
      }
      case CLOSE: {
        if (pending) s.fail(line, `unexpected '}': directive ${preview(pending.name)} is missing ';'`);
        const top = open.pop();
        if (!top) s.fail(line, "unexpected '}' with no open block");
        if (top.spanOf) top.spanOf.span = { start: top.start as number, bodyStart: top.bodyStart as number, end: s.pos };
        list = top.parent;
        break;
      }
      case EOF: {
        if (pending) s.fail(pending.line, `unexpected end of file, expecting ';' or '}' after directive ${preview(pending.name)}`);
        const top = open[open.length - 1];
        if (top) s.fail(top.line, `unexpected end of file, expecting '}' to close block ${preview(top.name)}`);
        return root;
      }
    }
  }
}

const HEADER = '# configuration file ';

/** Splits `nginx -T` output into files; text before the first `# configuration file X:` header is ignored. */
export function splitNginxDump(dump: string): { file: string; text: string; startLine: number }[] {
  const out: { file: string; text: string; startLine: number }[] = [];
  let current: { file: string; startLine: number; from: number } | undefined;
  const finish = (to: number): void => {
    if (!current) return;
    let text = dump.slice(current.from, to);
    // nginx -T writes one extra LF after each file's content; drop it so line counts stay exact.
    if (text.endsWith('\n')) text = text.slice(0, -1);
    out.push({ file: current.file, text, startLine: current.startLine });
  };
  let lineNo = 0;
  for (let pos = 0; pos <= dump.length; ) {
    const nl = dump.indexOf('\n', pos);
    const end = nl === -1 ? dump.length : nl;
    lineNo++;
    if (dump.startsWith(HEADER, pos)) {
      const header = dump.slice(pos + HEADER.length, end).replace(/\r$/, '');
      // nginx prints absolute paths; a config comment that starts with the same words is not a header.
      if (header.length > 2 && header.startsWith('/') && header.endsWith(':')) {
        finish(pos);
        current = { file: header.slice(0, -1), startLine: lineNo + 1, from: Math.min(end + 1, dump.length) };
      }
    }
    if (nl === -1) break;
    pos = nl + 1;
  }
  finish(dump.length);
  return out;
}

/** Parses `nginx -T` output: every file with its own name and lines; `main` is the first file, includes left in place. */
export function parseNginxDump(dump: string): { main: NginxDirective[]; files: Map<string, NginxDirective[]> } {
  const parts = splitNginxDump(dump);
  const first = parts[0];
  if (!first) throw new ParseError('nginx -T output', undefined, "no '# configuration file ...:' header found; expected the output of nginx -T");
  const files = new Map<string, NginxDirective[]>();
  for (const part of parts) {
    // A file included twice is dumped twice with the same content; keep the first.
    if (!files.has(part.file)) files.set(part.file, parseNginx(part.text, part.file));
  }
  return { main: files.get(first.file) ?? [], files };
}
