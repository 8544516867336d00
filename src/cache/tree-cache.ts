import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type ConfigTree } from '../diff/tree.js';
import type { Provider, TargetBase } from '../providers/provider.js';
import { plainTree } from '../parse/messages.js';
import { OffThreadParser } from '../parse/off-thread.js';
import { BUILD_ID } from './build-id.js';

/** Entries kept at most, and their bytes at most; the least recently used go first. */
const MAX_ENTRIES = 4_000;
const MAX_BYTES = 256 * 1024 * 1024;
/** A tree bigger than this is not kept: it would push out many others. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;
/**
 * A text shorter than this is parsed again rather than kept: our parsers take about a
 * millisecond for it, what reading a kept tree costs too, and writing one costs three.
 */
const MIN_TEXT_CHARS = 16 * 1024;

interface Entry {
  format: string;
  root: ConfigTree['root'];
  normalized: string;
  canonical: string;
  lines: [string, number][];
  vocabulary?: ConfigTree['vocabulary'];
}

/**
 * Parsed trees of big config texts (and of every text whose provider's parse is costly), on
 * disk in the state folder, by the hash of everything a parse depends on (this build, the
 * provider, the target's settings, the origin and the text). A drifted target is parsed on every
 * pass while its drift lasts: from the second pass on, both of its sides come from here (the
 * approved side is the same blob, the live side the same bytes),
 * and a Caddyfile is not run through `caddy adapt` again.
 *
 * Only trees that survive JSON unchanged are kept (plain maps, finite numbers). A tree holds
 * config values, secrets included, and a forged tree could hide a drift: each entry is
 * encrypted and authenticated (AES-256-GCM, with a key derived from the install key, and the
 * entry's own name as associated data, so an entry copied over another does not open). No
 * secret is written in the clear, and an entry that does not open is a miss. The folder is the
 * process owner's alone (0700). Best effort: an unreadable or unwritable folder means no cache.
 * DRIFTWARDEN_NO_CACHE=1 turns it off.
 */
export class TreeCache {
  private written = false;
  private offThread: OffThreadParser | undefined;

  private constructor(
    private readonly dir: string | undefined,
    private readonly key: Buffer,
  ) {}

  /** The cache in the state folder, sealed with a key derived from the install key. */
  static open(stateDir: string, installKey: Buffer): TreeCache {
    const key = createHmac('sha256', installKey).update('driftwarden tree cache v1').digest();
    return new TreeCache(process.env.DRIFTWARDEN_NO_CACHE ? undefined : join(stateDir, 'cache', 'trees'), key);
  }

  static off(): TreeCache {
    return new TreeCache(undefined, Buffer.alloc(0));
  }

  /** provider.parse(text, origin, target), from the cache when the same parse was done before. */
  async parse<T extends TargetBase>(provider: Provider, text: string, origin: string, target: T): Promise<ConfigTree> {
    if (!this.dir || (text.length < MIN_TEXT_CHARS && !provider.costlyParse)) return this.parseNow(provider, text, origin, target);
    // Keyed (HMAC), so that a name does not let anyone confirm a guess of a config's text.
    const name = createHmac('sha256', this.key).update(`${BUILD_ID}\0${provider.kind}\0${canonicalJson(target)}\0${origin}\0`).update(text).digest('hex');
    const hit = this.read(name);
    if (hit) return hit;
    const tree = await this.parseNow(provider, text, origin, target);
    this.write(name, tree);
    return tree;
  }

  /**
   * A pass over `targets` targets begins: with more than one, big texts that are not cached are
   * parsed on a worker thread too, started by the first of them (see OffThreadParser). Not at
   * once: on a small machine, a worker compiling while Git fetches slows the fetch, and most
   * passes parse nothing big.
   */
  beginPass(targets: number): void {
    if (targets <= 1 || !OffThreadParser.available) return;
    this.offThread ??= new OffThreadParser();
  }

  /** The pass is over: stop its parse worker, drop the oldest entries. */
  endPass(): void {
    this.offThread?.close();
    this.offThread = undefined;
    this.sweep();
  }

  private parseNow<T extends TargetBase>(provider: Provider, text: string, origin: string, target: T): Promise<ConfigTree> {
    return this.offThread ? this.offThread.parse(provider, text, origin, target) : Promise.resolve(provider.parse(text, origin, target as never));
  }

  /** Drops the least recently used entries beyond `limit` entries or `budget` bytes (after a pass that wrote some). */
  sweep(limit = MAX_ENTRIES, budget = MAX_BYTES): void {
    if (!this.dir || !this.written) return;
    this.written = false;
    try {
      const dir = this.dir;
      const now = Date.now();
      const entries: { n: string; t: number; size: number }[] = [];
      for (const n of readdirSync(dir)) {
        const st = statSync(join(dir, n));
        // A write that never got renamed (a crash): gone after an hour.
        if (n.endsWith('.tmp')) {
          if (now - st.mtimeMs > 3_600_000) unlinkSync(join(dir, n));
        } else if (n.endsWith(SUFFIX)) entries.push({ n, t: st.mtimeMs, size: st.size });
      }
      entries.sort((a, b) => a.t - b.t);
      let count = entries.length;
      let bytes = entries.reduce((sum, e) => sum + e.size, 0);
      for (const e of entries) {
        if (count <= limit && bytes <= budget) break;
        unlinkSync(join(dir, e.n));
        count--;
        bytes -= e.size;
      }
    } catch {
      /* next time */
    }
  }

  private read(name: string): ConfigTree | undefined {
    const file = join(this.dir as string, `${name}${SUFFIX}`);
    let entry: Entry;
    try {
      entry = JSON.parse(unseal(readFileSync(file), this.key, name)) as Entry;
    } catch {
      return undefined; // missing, damaged or forged: parse again
    }
    try {
      const now = new Date();
      utimesSync(file, now, now); // recently used: kept by sweep
    } catch {
      /* still a hit */
    }
    const tree: ConfigTree = { format: entry.format, root: entry.root, normalized: entry.normalized, canonical: entry.canonical, lines: new Map(entry.lines) };
    if (entry.vocabulary) tree.vocabulary = entry.vocabulary;
    return tree;
  }

  private write(name: string, tree: ConfigTree): void {
    const json = serialize(tree);
    if (json === undefined || json.length > MAX_ENTRY_BYTES || !this.dir) return;
    const file = join(this.dir, `${name}${SUFFIX}`);
    try {
      // One level at a time: a recursive mkdir can spin forever in odd places (under /proc on Node 20).
      for (const d of [join(this.dir, '..'), this.dir]) {
        try {
          mkdirSync(d, { mode: 0o700 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, seal(json, this.key, name), { mode: 0o600 });
      renameSync(tmp, file);
      this.written = true;
    } catch {
      /* no cache this time */
    }
  }
}

const SUFFIX = '.tree';

/** iv (12 bytes) | tag (16) | AES-256-GCM ciphertext of `text`, bound to `name`. */
function seal(text: string, key: Buffer, name: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The text `seal` sealed; throws when the bytes were not sealed with this key for this name. */
function unseal(sealed: Buffer, key: Buffer, name: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12)).setAAD(Buffer.from(name));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * The tree as JSON, or undefined when JSON would not give the same tree back: lines or files
 * kept in anything but a plain Map, include lists, numbers JSON cannot hold, `__proto__` keys.
 */
function serialize(tree: ConfigTree): string | undefined {
  if (!plainTree(tree)) return undefined;
  let exact = true;
  const entry: Entry = { format: tree.format, root: tree.root, normalized: tree.normalized, canonical: tree.canonical, lines: [...tree.lines], ...(tree.vocabulary ? { vocabulary: tree.vocabulary } : {}) };
  const json = JSON.stringify(entry, function (this: unknown, key: string, value: unknown) {
    if (key === '__proto__' || value === undefined || (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)))) exact = false;
    return value;
  });
  return exact ? json : undefined;
}
