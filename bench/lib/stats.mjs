// Shared helpers of the benchmarks: repeat, median/min/max, tables.
import { spawnSync } from 'node:child_process';

/** Runs `fn` `n` times (after `warm` unmeasured runs); returns milliseconds per run. */
export async function repeat(n, fn, warm = 0) {
  for (let i = 0; i < warm; i++) await fn(i);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times;
}

export function summary(times) {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s.at(-1), n: s.length };
}

export const ms = (x) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
export const ratio = (a, b) => Math.round((a / b) * 100) / 100;
export const fmt = (s) => `${ms(s.median)} (${ms(s.min)}..${ms(s.max)})`;

/** Wall time of a process, in ms; throws if it fails (unless `allowFail`). */
export function timeProcess(cmd, args, options = {}) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const elapsed = performance.now() - t;
  if (r.status !== 0 && !options.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return elapsed;
}
