/**
 * nginx configuration parser: a hand-written, linear-time character scanner that follows
 * nginx's own tokenizer (ngx_conf_read_token) closely enough that drift comparisons see the
 * same directives nginx sees. Configs may hold secrets, so error details never echo source
 * lines: at most the first 40 characters of one token.
 */
import { ParseError } from '../../errors.js';

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
}

const MAX_INPUT_BYTES = 20 * 1024 * 1024;
const MAX_DEPTH = 100;
const TEMPLATE_DETAIL = 'template syntax (Jinja/ERB/Go template) is not nginx; render the template first';

type Token = { kind: 'word'; value: string; line: number } | { kind: ';' | '{' | '}' | 'eof'; line: number };

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

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
  constructor(
    private readonly text: string,
    private readonly origin: string,
  ) {}

  fail(line: number, detail: string): never {
    throw new ParseError(this.origin, line, detail);
  }

  /** `{{`/`{%` (Jinja, Go templates) and `<%` (ERB) never occur in real nginx outside quotes. */
  private checkTemplate(i: number): void {
    const c = this.text.charAt(i);
    const n = this.text.charAt(i + 1);
    if ((c === '{' && (n === '{' || n === '%')) || (c === '<' && n === '%')) this.fail(this.line, TEMPLATE_DETAIL);
  }

  next(): Token {
    const t = this.text;
    for (;;) {
      const c = t.charAt(this.pos);
      if (c === '') return { kind: 'eof', line: this.line };
      if (c === '#') {
        // A comment only when `#` starts a token; it runs to the end of the line.
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl === -1 ? t.length : nl;
      } else if (isSpace(c)) {
        if (c === '\n') this.line++;
        this.pos++;
      } else break;
    }
    const line = this.line;
    const c = t.charAt(this.pos);
    if (c === '{') this.checkTemplate(this.pos);
    if (c === ';' || c === '{' || c === '}') {
      this.pos++;
      return { kind: c, line };
    }
    return c === '"' || c === "'" ? this.quoted(c, line) : this.bare(line);
  }

  /** A quoted word: may span lines; `;`, `{`, `}` and `#` inside are plain text. */
  private quoted(q: string, line: number): Token {
    const t = this.text;
    let i = this.pos + 1;
    for (;;) {
      const c = t.charAt(i);
      if (c === '') this.fail(line, `unterminated ${q === '"' ? 'double' : 'single'}-quoted string`);
      if (c === q) break;
      if (c === '\\') i++;
      if (t.charAt(i) === '\n') this.line++;
      i++;
    }
    const value = unescape(t.slice(this.pos + 1, i));
    this.pos = i + 1;
    // Like nginx, a closing quote must be followed by a separator (`"a"b` is an error).
    const after = t.charAt(this.pos);
    if (after !== '' && !isSpace(after) && after !== ';' && after !== '{' && after !== ')') {
      this.fail(this.line, `unexpected ${preview(after)} after a closing quote`);
    }
    return { kind: 'word', value, line };
  }

  /** An unquoted word ends at whitespace, `;` or `{`; `}`, quotes and `#` inside it are plain text. */
  private bare(line: number): Token {
    const t = this.text;
    const start = this.pos;
    let i = start;
    let variable = false;
    for (;;) {
      const c = t.charAt(i);
      if (c === '' || isSpace(c) || c === ';') break;
      if (c === '{') {
        // `${name}`: a brace right after `$` belongs to the word, it does not open a block.
        if (!variable) break;
        this.checkTemplate(i);
      } else if (c === '<') this.checkTemplate(i);
      else if (c === '\\') {
        // A backslash makes the next character literal, even a separator or a newline.
        i++;
        if (t.charAt(i) === '\n') this.line++;
      }
      variable = c === '$' || (variable && c === '{');
      if (i < t.length) i++;
    }
    this.pos = i;
    return { kind: 'word', value: unescape(t.slice(start, i)), line };
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

/** Parses one nginx config text. Throws ParseError(origin, line, detail) on invalid syntax, nothing else. */
export function parseNginx(text: string, origin: string): NginxDirective[] {
  if (text.length > MAX_INPUT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
    throw new ParseError(origin, 1, 'config is larger than 20 MB; refusing to parse it');
  }
  const s: Scanner = new Scanner(text, origin);
  const root: NginxDirective[] = [];
  // Open blocks as an explicit stack (no recursion): the list to return to and where `{` was.
  const open: { parent: NginxDirective[]; line: number; name: string }[] = [];
  let list = root;
  let pending: NginxDirective | undefined;
  for (;;) {
    const tok = s.next();
    switch (tok.kind) {
      case 'word':
        if (pending) pending.args.push(tok.value);
        else pending = { name: tok.value, args: [], line: tok.line, file: origin };
        break;
      case ';':
        if (!pending) s.fail(tok.line, "unexpected ';' without a directive");
        list.push(pending);
        pending = undefined;
        break;
      case '{': {
        if (!pending) s.fail(tok.line, "unexpected '{' without a directive name");
        const block: NginxDirective[] = [];
        const d: NginxDirective = { ...pending, block };
        pending = undefined;
        list.push(d);
        // Only the directive NAME decides: `server_name content_by_lua_block;` is an ordinary argument.
        if (d.name.endsWith('_by_lua_block')) {
          d.raw = s.readLuaBody(tok.line);
          break;
        }
        if (open.length >= MAX_DEPTH) s.fail(tok.line, `blocks nested deeper than ${MAX_DEPTH} levels`);
        open.push({ parent: list, line: tok.line, name: d.name });
        list = block;
        break;
      }
      case '}': {
        if (pending) s.fail(tok.line, `unexpected '}': directive ${preview(pending.name)} is missing ';'`);
        const top = open.pop();
        if (!top) s.fail(tok.line, "unexpected '}' with no open block");
        list = top.parent;
        break;
      }
      case 'eof': {
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
