import { createHmac } from 'node:crypto';
import { isObject, type TreeObject, type TreeValue } from './tree.js';

/**
 * Field names whose values are secrets. Deliberately broad: hiding a harmless value costs a
 * reviewer a little detail, printing a password costs a rotation. `proxy_pass` and
 * `server_tokens` are not secrets and are not matched.
 */
const SECRET_KEY =
  /(password|passwd|passphrase|(^|[_-])pwd$|secret|(^|[_-])token$|^token|Token$|credential|^auth$|[_-]auth$|[a-z]Auth$|authorization|api[_-]?key|private[_-]?key|access[_-]?key|(^|[_-])key$|[a-z]Key$)/i;

/**
 * Secrets inside values, wherever they stand: URL user-info, HTTP auth headers. Each comes with
 * a test that is true whenever the pattern can match (the literal text it cannot match
 * without), so a config of 30,000 lines is not searched by look-behind patterns for nothing.
 * A pattern that cannot match across lines (`line`) runs only on the lines holding that text.
 */
interface InlinePattern {
  pattern: RegExp;
  mayMatch: (text: string) => boolean;
  line?: string;
}

const INLINE_PATTERNS: InlinePattern[] = [
  // Every part excludes white space: a match never leaves its line.
  { pattern: /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(?=@)/gi, mayMatch: (t) => t.includes('://') && t.includes('@'), line: '://' },
  { pattern: /(?<=\b(?:Bearer|Basic|Token)\s+)([A-Za-z0-9._~+/=-]{6,})/g, mayMatch: (t) => t.includes('Bearer') || t.includes('Basic') || t.includes('Token') },
];
const always = (): boolean => true;

/**
 * Every name SECRET_KEY matches contains one of these (each of its alternatives does, under the
 * same case folding). A text without any of them holds no built-in secret key.
 */
const SECRET_KEY_HINT = /pass|pwd|secret|token|credential|auth|key/i;
const SHORT = 1_000;
/** What every built-in rule needs in a text to change it: a secret key's hint, `://`, or an auth scheme. */
const BUILT_IN_HINT = /pass|pwd|secret|token|credential|auth|key|:\/\/|bearer|basic/i;

/** A key word and its separator on one line: `password: `, `"token": `, `auth ` (in `stats auth a:b`). */
const KEY_SEP = /(["']?)([A-Za-z][A-Za-z0-9_.-]*)\1(?:\s*[:=]\s*|[ \t]+)/g;
/** The value after a key: a quoted string or one bare word. */
const VALUE = /^(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;{}[\]]+)/;
/** `key:` with nothing after it, or a block scalar indicator (`key: |`, `key: >-`): the value is on the next lines. */
const BLOCK_OPENER = /^(\s*)(["']?)([A-Za-z][\w.-]*)\2\s*:\s*([|>][-+0-9]*)?\s*(#.*)?$/;
const FINGERPRINT = /(\[secret:[0-9a-f]{8}\])/;

/** Whether the lines being read are under a secret block opener, and deeper than which indent. */
interface LineState {
  hideDeeperThan: number | null;
}

export interface RedactionOptions {
  /** Extra field-name patterns (regular expressions, case-insensitive). */
  keys?: string[];
  /** Extra value patterns; the first capture group (or the whole match) is hidden. */
  patterns?: string[];
}

/**
 * Replaces secret values with `[secret:xxxxxxxx]`, a keyed fingerprint (HMAC-SHA256 under a
 * per-install key), so a reviewer can tell "changed" from "same" without seeing the value.
 */
export class Redactor {
  private readonly extraKeys: RegExp[];
  private readonly patterns: InlinePattern[];
  /** Field names recur (every server has a `weight`): each is tested once. */
  private readonly secretKeys = new Map<string, boolean>();
  /** Redactions of frozen subtrees, outside and under a secret key (see frozenTree). */
  private readonly frozenPlain = new WeakMap<object, TreeValue>();
  private readonly frozenUnderSecret = new WeakMap<object, TreeValue>();

  /** No user keys or patterns: only the built-in rules, whose hints BUILT_IN_HINT finds. */
  private readonly builtInOnly: boolean;

  constructor(private readonly installKey: Buffer, options: RedactionOptions = {}) {
    this.builtInOnly = !options.keys?.length && !options.patterns?.length;
    this.extraKeys = (options.keys ?? []).map((k) => new RegExp(k, 'i'));
    this.patterns = [...INLINE_PATTERNS, ...(options.patterns ?? []).map((p) => ({ pattern: new RegExp(p, 'g'), mayMatch: always }))];
  }

  fingerprint(value: string): string {
    return `[secret:${createHmac('sha256', this.installKey).update(value).digest('hex').slice(0, 8)}]`;
  }

  isSecretKey(key: string): boolean {
    // Most names (a server's address, `weight`) hold no hint at all: no need to remember them.
    if (this.extraKeys.length === 0 && !SECRET_KEY_HINT.test(key)) return false;
    let secret = this.secretKeys.get(key);
    if (secret === undefined) {
      secret = SECRET_KEY.test(key) || this.extraKeys.some((r) => r.test(key));
      // Names come from config (server names, header names): bounded.
      if (this.secretKeys.size >= 10_000) this.secretKeys.clear();
      this.secretKeys.set(key, secret);
    }
    return secret;
  }

  /** False only when no line of `text` can hold a secret key (nothing for `line` to hide). */
  private mayHoldSecretKey(text: string): boolean {
    return this.extraKeys.length > 0 || SECRET_KEY_HINT.test(text);
  }

  /** Redacts inline secrets (URL passwords, auth headers, user patterns) in any string. */
  scrub(text: string): string {
    let out = text;
    for (const { pattern, mayMatch, line } of this.patterns) {
      if (!mayMatch(out)) continue;
      out = line === undefined ? this.hide(out, pattern) : replaceLinesHolding(out, line, (l) => this.hide(l, pattern));
    }
    return out;
  }

  /** Every match of `pattern` replaced by its fingerprint (only its first group's, when it has one). */
  private hide(text: string, pattern: RegExp): string {
    pattern.lastIndex = 0;
    return text.replace(pattern, (match: string, group?: unknown) =>
      typeof group === 'string' && group.length > 0 ? match.replace(group, this.fingerprint(group)) : this.fingerprint(match),
    );
  }

  /** A redacted copy of a tree: values under secret keys become fingerprints. */
  tree(value: TreeValue, secret = false): TreeValue {
    if (value !== null && typeof value === 'object' && Object.isFrozen(value)) return this.frozenTree(value, secret);
    if (Array.isArray(value)) return value.map((v) => this.tree(v, secret));
    if (isObject(value)) {
      const out: Record<string, TreeValue> = {};
      for (const [k, v] of Object.entries(value)) {
        const redacted = this.tree(v, secret || this.isSecretKey(k));
        // A key named __proto__ is data, not the object's prototype.
        if (k === '__proto__') Object.defineProperty(out, k, { value: redacted, enumerable: true, writable: true, configurable: true });
        else out[k] = redacted;
      }
      return out;
    }
    return this.leaf(value, secret);
  }

  /**
   * A frozen subtree (shared between parses, see `shareable`) cannot change: it is redacted
   * once per redactor, and is its own redaction when nothing in it is secret (a removed backend
   * is reported as the parsed object itself, not a copy of it).
   */
  private frozenTree(value: TreeObject | TreeValue[], secret: boolean): TreeValue {
    const memo = secret ? this.frozenUnderSecret : this.frozenPlain;
    let out = memo.get(value);
    if (out === undefined) {
      out = this.copyIfChanged(value, secret);
      memo.set(value, out);
    }
    return out;
  }

  /**
   * `tree`, except that a subtree nothing in which changes is returned as it is. Nothing is
   * allocated until a member changes (most subtrees hold no secret): a removed server of a big
   * drift costs a look at each of its members.
   */
  private copyIfChanged(value: TreeValue, secret: boolean): TreeValue {
    if (Array.isArray(value)) {
      let items: TreeValue[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as TreeValue;
        const redacted = this.copyIfChanged(item, secret);
        if (redacted !== item) (items ??= value.slice())[i] = redacted;
      }
      return items ?? value;
    }
    if (isObject(value)) {
      const keys = Object.keys(value);
      let out: Record<string, TreeValue> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const item = value[k] as TreeValue;
        const redacted = this.copyIfChanged(item, secret || this.isSecretKey(k));
        if (redacted === item && out === undefined) continue;
        if (out === undefined) {
          out = {};
          for (let j = 0; j < i; j++) setMember(out, keys[j] as string, value[keys[j] as string] as TreeValue);
        }
        setMember(out, k, redacted);
      }
      return out ?? value;
    }
    return this.leaf(value, secret);
  }

  /** What `tree` makes of a scalar (under a secret key when `secret`). */
  leaf(value: TreeValue, secret: boolean): TreeValue {
    if (secret && value !== null) return this.fingerprint(String(value));
    // Models store `keyword value` lines as one string (`user admin insecure-password x`): redact like text.
    return typeof value === 'string' ? this.text(value) : value;
  }

  /** Redacts a config text line by line, for the unified diff and any text shown to people. */
  text(text: string): string {
    // Most values (an address, a weight) hold none of what any built-in rule looks for. (Whole
    // configs go to the cheaper tests below: one pattern of many words is slow on a long text.)
    if (this.builtInOnly && text.length <= SHORT && !BUILT_IN_HINT.test(text)) return text;
    const scrubbed = this.scrub(text);
    // Lines change only under a secret key: none in the text, nothing to do line by line.
    if (!this.mayHoldSecretKey(scrubbed)) return scrubbed;
    if (this.extraKeys.length > 0) return this.everyLine(scrubbed);
    return this.hintedLines(scrubbed);
  }

  /** Every line through redactLine, in order. */
  private everyLine(text: string): string {
    const state: LineState = { hideDeeperThan: null };
    return text
      .split('\n')
      .map((line) => this.redactLine(line, state))
      .join('\n');
  }

  /**
   * Only the lines that can change: those holding a hint of a built-in secret key (one
   * `proxy_pass` in a config of 30,000 lines), and the lines hidden after a secret block
   * opener. Every other line is copied as it is, which is what redactLine would do with it.
   */
  private hintedLines(text: string): string {
    const hints = new RegExp(SECRET_KEY_HINT.source, 'gi');
    let out = '';
    let copiedTo = 0;
    for (let m = hints.exec(text); m !== null; m = hints.exec(text)) {
      const start = text.lastIndexOf('\n', m.index - 1) + 1;
      // From this line on, redact line by line until no block hides lines any more.
      const state: LineState = { hideDeeperThan: null };
      let lineStart = start;
      let lineEnd: number;
      do {
        const nl = text.indexOf('\n', lineStart);
        lineEnd = nl === -1 ? text.length : nl;
        out += text.slice(copiedTo, lineStart) + this.redactLine(text.slice(lineStart, lineEnd), state);
        copiedTo = lineEnd;
        lineStart = lineEnd + 1;
      } while (state.hideDeeperThan !== null && lineEnd < text.length);
      hints.lastIndex = lineEnd;
    }
    return copiedTo === 0 ? text : out + text.slice(copiedTo);
  }

  /**
   * One line, in order: a secret key whose value continues on the next lines (a YAML block
   * `key: |`, or a nested list or map) hides every deeper-indented line that follows.
   */
  private redactLine(line: string, state: LineState): string {
    if (state.hideDeeperThan === null && !this.mayHoldSecretKey(line)) return line;
    const indent = line.length - line.trimStart().length;
    if (state.hideDeeperThan !== null) {
      if (line.trim() === '' || indent > state.hideDeeperThan) return line.trim() === '' ? line : `${line.slice(0, indent)}${this.fingerprint(line.trim())}`;
      state.hideDeeperThan = null;
    }
    const opener = BLOCK_OPENER.exec(line);
    if (opener && this.isSecretKey(opener[3] as string)) state.hideDeeperThan = indent;
    return this.line(line);
  }

  /** Fingerprints already in the line are left alone; every key word is checked, even one used as a value. */
  private line(line: string): string {
    return line
      .split(FINGERPRINT)
      .map((part, i) => (i % 2 === 1 ? part : this.segment(part)))
      .join('');
  }

  private segment(text: string): string {
    let out = '';
    let pos = 0;
    KEY_SEP.lastIndex = 0;
    for (let m = KEY_SEP.exec(text); m !== null; m = KEY_SEP.exec(text)) {
      const [whole, quote = '', key = ''] = m;
      const valueAt = m.index + whole.length;
      const value = VALUE.exec(text.slice(valueAt))?.[0];
      if (!value || !this.isSecretKey(key)) {
        KEY_SEP.lastIndex = m.index + quote.length + key.length; // the value may itself be a key word
        continue;
      }
      const q = value[0] === '"' || value[0] === "'" ? value[0] : '';
      const bare = q ? value.slice(1, -1) : value;
      out += text.slice(pos, valueAt) + `${q}${this.fingerprint(bare)}${q}`;
      pos = valueAt + value.length;
      KEY_SEP.lastIndex = pos;
    }
    return out + text.slice(pos);
  }
}

/** `text` with each line that holds `needle` replaced by `edit(line)`; other lines as they are. */
function replaceLinesHolding(text: string, needle: string, edit: (line: string) => string): string {
  let out = '';
  let copiedTo = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, copiedTo)) {
    const start = text.lastIndexOf('\n', at - 1) + 1;
    const nl = text.indexOf('\n', at);
    const end = nl === -1 ? text.length : nl;
    out += text.slice(copiedTo, start) + edit(text.slice(start, end));
    copiedTo = end;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/** out[key] = value, where a key named __proto__ is data, not the object's prototype. */
function setMember(out: Record<string, TreeValue>, key: string, value: TreeValue): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
