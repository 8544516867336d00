/** One version of a file: the commit that wrote it and the blob it wrote. */
export interface FileVersion {
  commit: string;
  date: string;
  subject: string;
  blob: string;
}

/**
 * `git log` arguments listing the commits that changed any of `paths` (newest first), each
 * with the blob ids it wrote. `--full-history`: every commit that changed a path is listed,
 * whichever other paths are asked for with it, so a log of many paths gives each path the
 * versions its own log gives. Paths are literal; names are not quoted (core.quotePath=false).
 */
export function fileLogArgs(revs: readonly string[], paths: readonly string[], maxCount: number): string[] {
  return ['-c', 'core.quotePath=false', 'log', `--max-count=${maxCount}`, '--full-history', '--format=%x1e%H%x1f%cI%x1f%s', '--raw', '--no-abbrev', '--no-renames', ...revs, '--', ...paths.map((p) => `:(literal)${p}`)];
}

/** Whether git writes `path` as it is in that log (no C-style quoting of control characters, quotes or backslashes). */
export function plainPath(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x1f\x7f"\\]/.test(path);
}

/**
 * The versions of each path in a fileLogArgs log (newest first; a commit that deleted the
 * file is left out), and how many commits the log listed.
 */
export function parseFileLog(out: string): { versions: Map<string, FileVersion[]>; commits: number } {
  const versions = new Map<string, FileVersion[]>();
  let commits = 0;
  for (const record of out.split('\x1e')) {
    if (!record.trim()) continue;
    commits++;
    const [head = '', ...rest] = record.split('\n');
    const [commit = '', date = '', subject = ''] = head.split('\x1f');
    for (const line of rest) {
      if (!line.startsWith(':')) continue;
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const blob = line.slice(0, tab).split(' ')[3];
      if (!blob || /^0+$/.test(blob)) continue; // the file was deleted in this commit
      const path = line.slice(tab + 1);
      let list = versions.get(path);
      if (!list) versions.set(path, (list = []));
      list.push({ commit, date, subject, blob });
    }
  }
  return { versions, commits };
}
