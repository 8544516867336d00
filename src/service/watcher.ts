import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Config } from '../config/types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { getProvider } from '../providers/registry.js';

/** Changes closer together than this are one change (an editor's write + rename, a reload). */
export const WATCH_SETTLE_MS = 250;

/** Local live files per target that `run` should watch (`watch: false` opts out). */
export function watchedFiles(config: Config): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const t of config.targets) {
    if (t.watch === false) continue;
    const option = getProvider(t.provider).watchOption;
    const file = option ? t[option] : undefined;
    if (typeof file !== 'string' || file.startsWith('unix:') || file.startsWith('tcp:')) continue;
    byFile.set(file, [...(byFile.get(file) ?? []), t.name]);
  }
  return byFile;
}

/**
 * Watches the folders of the live files (inotify through fs.watch): a folder, not the file, so
 * that an editor's or a deploy tool's write-and-rename is seen too. A change asks for a check of
 * the targets that read that file, after it settles; the schedule stays the safety net for what
 * a watch cannot see (the runtime API, a remote file, a lost event).
 */
export class LiveFileWatcher {
  private watchers: FSWatcher[] = [];
  private pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly log: Logger,
    private readonly onChange: (targets: string[], file: string) => void,
  ) {}

  start(config: Config): void {
    this.stop();
    const byDir = new Map<string, Map<string, string[]>>();
    for (const [file, targets] of watchedFiles(config)) {
      const dir = dirname(file);
      const files = byDir.get(dir) ?? new Map<string, string[]>();
      files.set(basename(file), targets);
      byDir.set(dir, files);
    }
    for (const [dir, files] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          const file = name ? files.get(name.toString()) : undefined;
          if (file) this.settle(`${dir}/${name}`, file);
        });
        w.on('error', (err) => this.log.warn({ dir, error: errorMessage(err) }, 'watch stopped; the schedule still checks these targets'));
        this.watchers.push(w);
      } catch (err) {
        this.log.warn({ dir, error: errorMessage(err) }, 'cannot watch live files; the schedule still checks these targets');
      }
    }
    if (byDir.size > 0) this.log.info({ folders: byDir.size, files: [...byDir.values()].reduce((n, f) => n + f.size, 0) }, 'watching live files');
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private settle(file: string, targets: string[]): void {
    const before = this.pending.get(file);
    if (before) clearTimeout(before);
    const timer = setTimeout(() => {
      this.pending.delete(file);
      this.onChange(targets, file);
    }, WATCH_SETTLE_MS);
    timer.unref();
    this.pending.set(file, timer);
  }
}
