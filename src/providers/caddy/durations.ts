/** Caddy writes durations as Go strings ("1m30s") or integer nanoseconds; both mean the same. */
const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 };
const DURATION_KEY = /(duration|interval|timeout|latency|delay|keepalive|idle|grace|ttl|expires)$/i;

export function isDurationKey(key: string): boolean {
  return DURATION_KEY.test(key);
}

/** Nanoseconds of a Go duration string, or undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : undefined;
}

/** Canonical Go-style text for nanoseconds: 90e9 -> "1m30s", 250e6 -> "250ms". */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const parts: string[] = [];
  let rest = ns;
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3], ['ns', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.join('');
}

/** A duration value in either form, canonicalised; other values are returned unchanged. */
export function canonicalDuration(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return formatDuration(value);
  if (typeof value === 'string') {
    const ns = parseDuration(value);
    return ns === undefined ? value : formatDuration(ns);
  }
  return value;
}
