import { createRequire } from 'node:module';

// Loaded when a diff is first shown: a check that shows none does not load it.
let loaded: typeof import('diff') | undefined;
const diffLib = (): typeof import('diff') => (loaded ??= createRequire(import.meta.url)('diff') as typeof import('diff'));

/** Caps that keep a pathological pair from hanging a pass (an uncapped diff can take minutes). */
export const DIFF_LIMITS = { maxEditLength: 5_000, timeoutMs: 1_000 } as const;

export type TextDiff = { kind: 'patch'; patch: string } | { kind: 'too-large'; reason: string };

/** A unified diff of two already-redacted texts, or `too-large` when a cap trips. */
export function unifiedDiff(approved: string, live: string, approvedName: string, liveName: string): TextDiff {
  const patch = diffLib().createTwoFilesPatch(approvedName, liveName, approved, live, undefined, undefined, {
    context: 3,
    maxEditLength: DIFF_LIMITS.maxEditLength,
    timeout: DIFF_LIMITS.timeoutMs,
  });
  if (patch === undefined) {
    return { kind: 'too-large', reason: `more than ${DIFF_LIMITS.maxEditLength} edits or ${DIFF_LIMITS.timeoutMs} ms` };
  }
  return { kind: 'patch', patch };
}
