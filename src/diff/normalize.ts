/**
 * Whitespace normalisation shared by every format: line endings, trailing white space
 * and trailing blank lines never count as drift.
 */
export function normalizeText(text: string): string {
  let t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.includes('\r')) t = t.replace(/\r\n?/g, '\n');
  // Most files have no trailing blanks at all: look at line ends before running a regex over every space.
  if (hasTrailingBlanks(t)) t = t.replace(/[ \t]+(?=\n|$)/g, '');
  let end = t.length;
  while (end > 0 && t.charCodeAt(end - 1) === NEWLINE) end--;
  if (end === 0) return '';
  return end === t.length - 1 ? t : `${t.slice(0, end)}\n`;
}

const NEWLINE = 10;
const isBlank = (code: number): boolean => code === 32 || code === 9;

function hasTrailingBlanks(t: string): boolean {
  for (let nl = t.indexOf('\n'); nl !== -1; nl = t.indexOf('\n', nl + 1)) {
    if (isBlank(t.charCodeAt(nl - 1))) return true;
  }
  return isBlank(t.charCodeAt(t.length - 1));
}
