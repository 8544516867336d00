import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file atomically: write a temp file beside it, fsync, rename over, fsync the folder.
 * A crash leaves either the old or the new content, never half of either. The file's mode is kept.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.driftwarden-${process.pid}.tmp`);
  const mode = existsSync(path) ? statSync(path).mode & 0o7777 : 0o644;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeFileSync(fd, text); // loops until every byte is written
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    /* some file systems cannot fsync a folder; the rename is still atomic */
  }
}

/** Keeps the previous live content beside the file (`<file>.driftwarden.prev`) before a write. */
export function keepPrevious(path: string): string {
  const previous = readFileSync(path, 'utf8');
  writeFileAtomic(`${path}.driftwarden.prev`, previous);
  return previous;
}
