/**
 * Narrowing: before two big configs are parsed and compared, the top-level blocks that are the
 * same on both sides (an HAProxy backend, an nginx upstream: same name, same exact text, same
 * context) are blanked out of BOTH texts, each replaced by as many line breaks as it held. The
 * parsers then read only what differs, every line keeps its number, and the comparison of the
 * narrowed texts is the comparison of the full ones: a block equal on both sides yields no
 * change, and its absence from both trees yields none either.
 *
 * A provider's splitter finds the blocks without tokenizing every line, and says "don't narrow"
 * (undefined) for any text it is not sure about. This module only pairs the blocks up.
 */

/** One block a splitter found: text[start, end), whole rows. */
export interface TextBlock {
  start: number;
  end: number;
  /**
   * Where the block lands in the tree, and what else its subtree depends on (HAProxy: the
   * defaults before it). Unique on a side: a splitter that sees a repeated key gives up.
   */
  key: string;
  /**
   * Its top-level collection (`backend`, `upstream`). The first block of each kind on either
   * side is never blanked: it keeps the position where the tree first creates the collection,
   * so the tree's collections come in the same order as in the full parse.
   */
  kind: string;
  /** False for a block that must be parsed even when equal (it may hold an error the parser reports). */
  blankable: boolean;
}

export interface TextSplit {
  blocks: TextBlock[];
  /** What every block's tree may depend on besides its own text (HAProxy: global and defaults); must be equal on both sides. */
  frame: string;
}

/** Both texts narrowed, with the number of blocks blanked on each side. */
export interface Narrowed {
  approved: string;
  live: string;
  blanked: number;
}

/** Parsers refuse bigger files: never narrow what the full parse would refuse. */
const MAX_BYTES = 20 * 1024 * 1024;

/**
 * Both texts with the blocks equal on both sides blanked, or undefined when nothing can be
 * blanked or either text is unusual (then parse the full texts).
 */
export function narrowTexts(approved: string, live: string, split: (text: string) => TextSplit | undefined): Narrowed | undefined {
  // A drift that stays (alerted, or awaiting its PR) brings the same pair pass after pass.
  const same = recentPairs.find((r) => r.split === split && sameText(r.approved, approved) && sameText(r.live, live));
  if (same) return same.narrowed;
  const narrowed = narrowNew(approved, live, split);
  if (approved.length + live.length <= PAIR_CHARS) {
    recentPairs.push({ split, approved, live, narrowed });
    if (recentPairs.length > RECENT) recentPairs.shift();
  }
  return narrowed;
}

/** Bigger pairs are not kept (RECENT of them stay well under 100 MB with their narrowed texts). */
const PAIR_CHARS = 8_000_000;

/** The last few pairs narrowed, and what came of them (kept like the splits below). */
const recentPairs: { split: Splitter; approved: string; live: string; narrowed: Narrowed | undefined }[] = [];

/** `slice(...) ===`-style comparison: the length first, then the memory at once. */
function sameText(a: string, b: string): boolean {
  return a.length === b.length && a === b;
}

function narrowNew(approved: string, live: string, split: Splitter): Narrowed | undefined {
  if (tooBig(approved) || tooBig(live)) return undefined;
  // Line breaks other than \n (and a byte-order mark) are left to the full parse.
  if (approved.includes('\r') || live.includes('\r') || approved.charCodeAt(0) === 0xfeff || live.charCodeAt(0) === 0xfeff) return undefined;
  const a = splitOf(approved, split);
  if (!a) return undefined;
  const b = splitOf(live, split);
  if (!b || a.frame !== b.frame) return undefined;
  const anchors = new Set([...firstOfEachKind(a.blocks), ...firstOfEachKind(b.blocks)]);
  const liveByKey = new Map<string, TextBlock>();
  for (const block of b.blocks) liveByKey.set(block.key, block);
  const blankA: TextBlock[] = [];
  const blankB: TextBlock[] = [];
  for (const x of a.blocks) {
    const y = liveByKey.get(x.key);
    if (!y || !x.blankable || !y.blankable || anchors.has(x.key)) continue;
    if (x.end - x.start !== y.end - y.start) continue;
    // `slice(...) ===` compares memory at once.
    if (approved.slice(x.start, x.end) !== live.slice(y.start, y.end)) continue;
    blankA.push(x);
    blankB.push(y);
  }
  if (blankA.length === 0) return undefined;
  blankB.sort((p, q) => p.start - q.start);
  return { approved: blank(approved, blankA), live: blank(live, blankB), blanked: blankA.length };
}

type Splitter = (text: string) => TextSplit | undefined;

/**
 * The splits of the last few texts, per splitter: a service checks the same approved text (and
 * mostly the same live one) pass after pass. A hit is the same text (compared, not hashed).
 */
const recentSplits = new Map<Splitter, { text: string; split: TextSplit | undefined }[]>();
const RECENT = 4;

function splitOf(text: string, split: Splitter): TextSplit | undefined {
  let recent = recentSplits.get(split);
  if (!recent) recentSplits.set(split, (recent = []));
  const hit = recent.find((r) => r.text.length === text.length && r.text === text);
  if (hit) return hit.split;
  const result = split(text);
  recent.push({ text, split: result });
  if (recent.length > RECENT) recent.shift();
  return result;
}

/** Forgets the splits kept (benchmarks measure a first check with it). */
export function clearNarrowCache(): void {
  recentSplits.clear();
  recentPairs.length = 0;
}

function tooBig(text: string): boolean {
  // A character is at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2).
  return text.length > MAX_BYTES || (text.length * 3 > MAX_BYTES && Buffer.byteLength(text, 'utf8') > MAX_BYTES);
}

function firstOfEachKind(blocks: TextBlock[]): string[] {
  const seen = new Map<string, string>();
  for (const block of blocks) if (!seen.has(block.kind)) seen.set(block.kind, block.key);
  return [...seen.values()];
}

/** `text` with each block (in order, not overlapping) replaced by its line breaks (a space when it has none). */
function blank(text: string, blocks: TextBlock[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const { start: from, end } of blocks) {
    // The indentation before a block goes too: blank lines carry no trailing blanks (which the
    // normaliser would otherwise have to strip from thousands of lines).
    let start = from;
    while (start > at && isBlank(text.charCodeAt(start - 1))) start--;
    if (start > 0 && text.charCodeAt(start - 1) !== 10) start = from;
    parts.push(text.slice(at, start));
    const n = newlinesIn(text, start, end);
    parts.push(n === 0 ? ' ' : NEWLINES.repeat(n));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

const NEWLINES = '\n';
const isBlank = (code: number): boolean => code === 32 || code === 9;

function newlinesIn(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
