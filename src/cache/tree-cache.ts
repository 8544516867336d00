import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type ConfigTree } from '../diff/tree.js';
import type { Provider, TargetBase } from '../providers/provider.js';
import { plainTree } from '../parse/messages.js';
import { OffThreadParser } from '../parse/off-thread.js';
import { BUILD_ID } from './build-id.js';

/** Entries kept at most; the least recently used go first. */
const MAX_ENTRIES = 4_000;

interface Entry {
  format: string;
  root: ConfigTree['root'];
  normalized: string;
  canonical: string;
  lines: [string, number][];
  vocabulary?: ConfigTree['vocabulary'];
}

/**
 * Parsed trees of config texts, on disk in the state folder, by the hash of everything a parse
 * depends on (this build, the provider, the target's settings, the origin and the text). A
 * drifted target is parsed on every pass while its drift lasts: from the second pass on, both of
 * its sides come from here (the approved side is the same blob, the live side the same bytes),
 * and a Caddyfile is not run through `caddy adapt` again.
 *
 * Only trees that survive JSON unchanged are kept (plain maps, finite numbers). The entries
 * hold config values, secrets included, so the folder is the process owner's alone (0700), as
 * the Git clone beside it is. Best effort: an unreadable or unwritable folder means no cache.
 * DRIFTWARDEN_NO_CACHE=1 turns it off.
 */
export class TreeCache {
  private written = false;
  private offThread: OffThreadParser | undefined;

  private constructor(private readonly dir: string | undefined) {}

  static open(stateDir: string): TreeCache {
    return new TreeCache(process.env.DRIFTWARDEN_NO_CACHE ? undefined : join(stateDir, 'cache', 'trees'));
  }

  static off(): TreeCache {
    return new TreeCache(undefined);
  }

  /** provider.parse(text, origin, target), from the cache when the same parse was done before. */
  async parse<T extends TargetBase>(provider: Provider, text: string, origin: string, target: T): Promise<ConfigTree> {
    if (!this.dir) return this.parseNow(provider, text, origin, target);
    const key = createHash('sha256').update(`${BUILD_ID}\0${provider.kind}\0${canonicalJson(target)}\0${origin}\0`).update(text).digest('hex');
    const file = join(this.dir, `${key}.json`);
    const hit = this.read(file);
    if (hit) return hit;
    const tree = await this.parseNow(provider, text, origin, target);
    this.write(file, tree);
    return tree;
  }

  /**
   * A pass over `targets` targets begins (before its fetch): with more than one, what is not
   * cached is parsed on a worker thread too. With no cache folder yet (a first pass: every
   * drifted target parses), the worker starts at once, while Git fetches; otherwise on the first
   * text to parse.
   */
  beginPass(targets: number): void {
    if (targets <= 1 || !OffThreadParser.available) return;
    this.offThread ??= new OffThreadParser();
    if (this.dir && !existsSync(this.dir)) this.offThread.warm();
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

  /** Drops the least recently used entries beyond the limit (after a pass that wrote some). */
  sweep(limit = MAX_ENTRIES): void {
    if (!this.dir || !this.written) return;
    this.written = false;
    try {
      const names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
      if (names.length <= limit) return;
      const dir = this.dir;
      const aged = names.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { n } of aged.slice(0, names.length - limit)) unlinkSync(join(dir, n));
    } catch {
      /* next time */
    }
  }

  private read(file: string): ConfigTree | undefined {
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
    } catch {
      return undefined;
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

  private write(file: string, tree: ConfigTree): void {
    const json = serialize(tree);
    if (json === undefined || !this.dir) return;
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
      writeFileSync(tmp, json, { mode: 0o600 });
      renameSync(tmp, file);
      this.written = true;
    } catch {
      /* no cache this time */
    }
  }
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
