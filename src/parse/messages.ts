import type { ConfigTree } from '../diff/tree.js';

/**
 * The fields of a tree that are plain data. A tree with others (files, included) or with its lines
 * in a Map subclass is not copied between threads or kept on disk: it might not come back the same.
 */
const PLAIN_FIELDS = new Set(['format', 'root', 'normalized', 'canonical', 'lines', 'vocabulary']);

/** Whether a tree is only plain data (see PLAIN_FIELDS). */
export function plainTree(tree: ConfigTree): boolean {
  return tree.lines.constructor === Map && Object.keys(tree).every((k) => PLAIN_FIELDS.has(k));
}

export interface ParseRequest {
  id: number;
  kind: string;
  text: string;
  origin: string;
  target: unknown;
}

/** The worker has compiled what a parse needs and takes requests (sent once, before any reply). */
export interface WorkerReady {
  ready: true;
}

export type ParseReply =
  | { id: number; tree: ConfigTree }
  | { id: number; parseError: { origin: string; line: number | undefined; detail: string } }
  | { id: number; error: string }
  /** Parse it on the main thread (a tree that cannot be copied as it is). */
  | { id: number; unsupported: true };
