import { createRequire } from 'node:module';

// Loaded when a diff is first shown: a check that shows none does not load it.
let loaded: typeof import('diff') | undefined;
const diffLib = (): typeof import('diff') => (loaded ??= createRequire(import.meta.url)('diff') as typeof import('diff'));

/** Caps that keep a pathological pair from hanging a pass (an uncapped diff can take minutes). */
export const DIFF_LIMITS = { maxEditLength: 5_000, timeoutMs: 1_000 } as const;

export type TextDiff = { kind: 'patch'; patch: string } | { kind: 'too-large'; reason: string };

const TOO_LARGE: TextDiff = { kind: 'too-large', reason: `more than ${DIFF_LIMITS.maxEditLength} edits or ${DIFF_LIMITS.timeoutMs} ms` };

/** A unified diff of two already-redacted texts, or `too-large` when a cap trips. */
export function unifiedDiff(approved: string, live: string, approvedName: string, liveName: string): TextDiff {
  // The diff would give up past the edit cap anyway, but only after searching up to the timeout.
  if (minimumEdits(approved, live) > DIFF_LIMITS.maxEditLength) return { ...TOO_LARGE };
  const patch = diffLib().createTwoFilesPatch(approvedName, liveName, approved, live, undefined, undefined, {
    context: 3,
    maxEditLength: DIFF_LIMITS.maxEditLength,
    timeout: DIFF_LIMITS.timeoutMs,
  });
  if (patch === undefined) return { ...TOO_LARGE };
  return { kind: 'patch', patch };
}

/**
 * A lower bound of the edits (lines removed plus lines added) any line diff of the two texts
 * needs: a line one side has more often than the other must be removed or added that many
 * times. Lines are compared without their line break, which only merges lines the diff tells
 * apart, so the bound stays below the diff's own count.
 */
function minimumEdits(a: string, b: string): number {
  const counts = new Map<string, number>();
  for (const line of lines(a)) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const line of lines(b)) counts.set(line, (counts.get(line) ?? 0) - 1);
  let edits = 0;
  for (const n of counts.values()) edits += Math.abs(n);
  return edits;
}

/** The lines of a text as the diff splits them, less the empty piece after a final line break. */
function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}
