/**
 * Whitespace normalisation shared by every format: line endings, trailing white space
 * and trailing blank lines never count as drift.
 */
export function normalizeText(text: string): string {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const trimmed = lines.map((l) => l.replace(/[ \t]+$/, ''));
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed.length === 0 ? '' : `${trimmed.join('\n')}\n`;
}
