import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BUILD_ID } from '../cache/build-id.js';

/** What a cache entry holds: the YAML's data, and what validating it gave (when kept). */
export interface CachedConfig {
  data: object;
  validated?: unknown;
}

/**
 * The parsed and validated config, kept in the user's cache folder (0700) and used while the
 * text is the same (by hash), at the same path, and driftwarden is the same build: validating a
 * fleet's config of thousands of targets costs tens of milliseconds per command, and its result
 * depends on nothing else (relative paths are resolved against the config's folder, which the
 * path fixes). Best effort: an unwritable folder just means no cache, an unreadable entry is a
 * miss. DRIFTWARDEN_NO_CACHE=1 turns it off.
 */
export class ParseCache {
  private readonly file: string | undefined;
  private readonly key: string;

  constructor(configFile: string, text: string) {
    this.key = createHash('sha256').update(BUILD_ID).update('\0').update(configFile).update('\0').update(text).digest('hex');
    const dir = process.env.DRIFTWARDEN_NO_CACHE ? undefined : cacheDir();
    this.file = dir ? join(dir, `config-${createHash('sha256').update(configFile).digest('hex').slice(0, 16)}.json`) : undefined;
  }

  read(): CachedConfig | undefined {
    if (!this.file) return undefined;
    try {
      const entry = JSON.parse(readFileSync(this.file, 'utf8')) as { key?: string; data?: unknown; validated?: unknown };
      if (entry.key !== this.key || !entry.data || typeof entry.data !== 'object') return undefined;
      return entry.validated === undefined ? { data: entry.data } : { data: entry.data, validated: entry.validated };
    } catch {
      return undefined;
    }
  }

  /** Keeps the data, and the validated config when it survives JSON unchanged (checked by the caller). */
  write(data: object, validated?: unknown): void {
    if (!this.file) return;
    try {
      // One level at a time: a recursive mkdir can spin forever in odd places (under /proc on Node 20).
      const dir = join(this.file, '..');
      for (const d of [join(dir, '..'), dir]) {
        try {
          mkdirSync(d, { mode: 0o700 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ key: this.key, data, ...(validated === undefined ? {} : { validated }) }), { mode: 0o600 });
      renameSync(tmp, this.file);
      prune(dir);
    } catch {
      /* no cache this time */
    }
  }
}

/** Config files remembered at most (one entry each); a write past it removes the least recently written. */
const MAX_ENTRIES = 64;

/**
 * Keeps the folder bounded: every config path has an entry of its own, and a CI job that runs
 * driftwarden from a new temp folder each time would otherwise add one per run, forever.
 */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.startsWith('config-') && n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((n) => {
    try {
      return { n, t: statSync(join(dir, n)).mtimeMs };
    } catch {
      return { n, t: 0 };
    }
  });
  aged.sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, aged.length - MAX_ENTRIES)) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      /* gone already, or another process's: fine */
    }
  }
}

function cacheDir(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : undefined);
  return base ? join(base, 'driftwarden') : undefined;
}
