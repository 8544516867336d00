const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** Milliseconds of a duration such as `2s`, `500ms`, `1h30m`, `4h`, `7d`; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  const trimmed = text.trim();
  for (let m = re.exec(trimmed); m !== null; m = re.exec(trimmed)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    end = re.lastIndex;
  }
  return end === trimmed.length && end > 0 ? total : undefined;
}

/** `2 h 5 m` style for messages: the largest two units. */
export function formatMs(ms: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [unit, size] of [['d', 86400e3], ['h', 3600e3], ['m', 60e3], ['s', 1e3]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  return parts.slice(0, 2).join('') || `${rest}ms`;
}
