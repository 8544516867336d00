import { createHmac } from 'node:crypto';
import { isObject, type TreeValue } from './tree.js';

/**
 * Field names whose values are secrets. Deliberately broad: hiding a harmless value costs a
 * reviewer a little detail, printing a password costs a rotation. `proxy_pass` and
 * `server_tokens` are not secrets and are not matched.
 */
const SECRET_KEY =
  /(password|passwd|passphrase|(^|[_-])pwd$|secret|(^|[_-])token$|^token|Token$|credential|^auth$|[_-]auth$|[a-z]Auth$|authorization|api[_-]?key|private[_-]?key|access[_-]?key|(^|[_-])key$|[a-z]Key$)/i;

/** Secrets inside values, wherever they stand: URL user-info, HTTP auth headers. */
const INLINE_PATTERNS: RegExp[] = [
  /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(?=@)/gi,
  /(?<=\b(?:Bearer|Basic|Token)\s+)([A-Za-z0-9._~+/=-]{6,})/g,
];

/** A key word and its separator on one line: `password: `, `"token": `, `auth ` (in `stats auth a:b`). */
const KEY_SEP = /(["']?)([A-Za-z][A-Za-z0-9_.-]*)\1(?:\s*[:=]\s*|[ \t]+)/g;
/** The value after a key: a quoted string or one bare word. */
const VALUE = /^(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;{}[\]]+)/;
/** `key:` with nothing after it, or a block scalar indicator (`key: |`, `key: >-`): the value is on the next lines. */
const BLOCK_OPENER = /^(\s*)(["']?)([A-Za-z][\w.-]*)\2\s*:\s*([|>][-+0-9]*)?\s*(#.*)?$/;
const FINGERPRINT = /(\[secret:[0-9a-f]{8}\])/;

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
  private readonly patterns: RegExp[];

  constructor(private readonly installKey: Buffer, options: RedactionOptions = {}) {
    this.extraKeys = (options.keys ?? []).map((k) => new RegExp(k, 'i'));
    this.patterns = [...INLINE_PATTERNS, ...(options.patterns ?? []).map((p) => new RegExp(p, 'g'))];
  }

  fingerprint(value: string): string {
    return `[secret:${createHmac('sha256', this.installKey).update(value).digest('hex').slice(0, 8)}]`;
  }

  isSecretKey(key: string): boolean {
    return SECRET_KEY.test(key) || this.extraKeys.some((r) => r.test(key));
  }

  /** Redacts inline secrets (URL passwords, auth headers, user patterns) in any string. */
  scrub(text: string): string {
    let out = text;
    for (const pattern of this.patterns) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, (match: string, group?: unknown) =>
        typeof group === 'string' && group.length > 0 ? match.replace(group, this.fingerprint(group)) : this.fingerprint(match),
      );
    }
    return out;
  }

  /** A redacted copy of a tree: values under secret keys become fingerprints. */
  tree(value: TreeValue, secret = false): TreeValue {
    if (Array.isArray(value)) return value.map((v) => this.tree(v, secret));
    if (isObject(value)) {
      const out: Record<string, TreeValue> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, { value: this.tree(v, secret || this.isSecretKey(k)), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (secret && value !== null) return this.fingerprint(String(value));
    // Models store `keyword value` lines as one string (`user admin insecure-password x`): redact like text.
    return typeof value === 'string' ? this.text(value) : value;
  }

  /** Redacts a config text line by line, for the unified diff and any text shown to people. */
  text(text: string): string {
    // A secret key whose value continues on the next lines (a YAML block `key: |`, or a nested
    // list or map) hides every deeper-indented line that follows.
    let hideDeeperThan: number | null = null;
    return this.scrub(text)
      .split('\n')
      .map((line) => {
        const indent = line.length - line.trimStart().length;
        if (hideDeeperThan !== null) {
          if (line.trim() === '' || indent > hideDeeperThan) return line.trim() === '' ? line : `${line.slice(0, indent)}${this.fingerprint(line.trim())}`;
          hideDeeperThan = null;
        }
        const opener = BLOCK_OPENER.exec(line);
        if (opener && this.isSecretKey(opener[3] as string)) hideDeeperThan = indent;
        return this.line(line);
      })
      .join('\n');
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
