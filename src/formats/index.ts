import { extname } from 'node:path';
import type { ConfigTree } from '../diff/tree.js';
import { parseStructured } from './structured.js';
import { parseText } from './text.js';

/** Formats of config files that the generic `file` provider understands. */
export const FORMATS = ['yaml', 'json', 'text'] as const;
export type Format = (typeof FORMATS)[number];

export function formatFromPath(path: string): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  return 'text';
}

/** Parses text in a given format; throws ParseError naming `origin` and the line. */
export function parseFormat(text: string, origin: string, format: Format): ConfigTree {
  return format === 'text' ? parseText(text, origin) : parseStructured(text, origin, format);
}
