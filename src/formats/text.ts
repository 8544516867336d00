import { normalizeText } from '../diff/normalize.js';
import type { ConfigTree } from '../diff/tree.js';

/** Opaque text: only whitespace normalisation applies, there is no semantic model. */
export function parseText(text: string, _origin: string): ConfigTree {
  const normalized = normalizeText(text);
  return { format: 'text', root: null, normalized, canonical: normalized, lines: new Map() };
}
