// Timing helpers for bench/compare.mjs: wall-clock samples and their median, min and max.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Milliseconds one call of an (async) function takes, and what it returned. */
export async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * `diff -u a b > /dev/null`, timed as a caller sees it: spawning the process included, since
 * that is what a shell pipeline built on diff would pay too. Exit 0 (same) and 1 (different)
 * are both fine; 2 is diff's own trouble.
 */
export function diffU(a, b) {
  const devNull = openSync('/dev/null', 'w');
  try {
    const start = performance.now();
    const r = spawnSync('diff', ['-u', a, b], { stdio: ['ignore', devNull, 'pipe'] });
    const ms = performance.now() - start;
    if (r.error) throw new Error(`diff -u could not run: ${r.error.message}`);
    if (r.status !== 0 && r.status !== 1) throw new Error(`diff -u failed (exit ${r.status}): ${r.stderr}`);
    return ms;
  } finally {
    closeSync(devNull);
  }
}

/**
 * The least any parser of both files does: read them and cut every line into words (blanks
 * separate words, `#` ends a line), building nothing else: no tree, no comparison. What this
 * costs in Node, against `diff -u`, bounds from below what any in-process semantic check of the
 * same pair can cost (a reference for the ratios, not a goal). Returns the number of words.
 */
export function wordFloor(a, b) {
  let words = 0;
  for (const file of [a, b]) {
    const text = readFileSync(file, 'utf8');
    const row = [];
    for (let i = 0; i < text.length; ) {
      let end = text.indexOf('\n', i);
      if (end === -1) end = text.length;
      row.length = 0;
      for (let j = i; j < end; ) {
        let c = text.charCodeAt(j);
        while (j < end && (c === 32 || c === 9)) c = text.charCodeAt(++j);
        if (j >= end || c === 35) break;
        const start = j;
        while (j < end && (c = text.charCodeAt(j)) !== 32 && c !== 9) j++;
        row.push(text.slice(start, j));
      }
      words += row.length;
      i = end + 1;
    }
  }
  return words;
}

export function stats(samples) {
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
