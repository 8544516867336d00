import { readdirSync, readFileSync } from 'node:fs';

/** The master's pid from its pid file, or undefined. */
export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Worker pids of a master (children in /proc). A successful reload replaces all of them. */
export function childPids(master: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === master) out.push(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return out.sort((a, b) => a - b);
}

/** Process start time as an ISO string (from /proc/<pid>/stat and the boot time), or undefined. */
export function startedAt(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined;
    return new Date((btime + ticks / 100) * 1000).toISOString();
  } catch {
    return undefined;
  }
}
