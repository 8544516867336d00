import { createTwoFilesPatch } from 'diff';

/** Caps that keep a pathological pair from hanging a pass (an uncapped diff can take minutes). */
export const DIFF_LIMITS = { maxEditLength: 5_000, timeoutMs: 1_000 } as const;

export type TextDiff = { kind: 'patch'; patch: string } | { kind: 'too-large'; reason: string };

/** A unified diff of two already-redacted texts, or `too-large` when a cap trips. */
export function unifiedDiff(approved: string, live: string, approvedName: string, liveName: string): TextDiff {
  const patch = createTwoFilesPatch(approvedName, liveName, approved, live, undefined, undefined, {
    context: 3,
    maxEditLength: DIFF_LIMITS.maxEditLength,
    timeout: DIFF_LIMITS.timeoutMs,
  });
  if (patch === undefined) {
    return { kind: 'too-large', reason: `more than ${DIFF_LIMITS.maxEditLength} edits or ${DIFF_LIMITS.timeoutMs} ms` };
  }
  return { kind: 'patch', patch };
}
