import type { Change } from './compare.js';
import type { TreeValue } from './tree.js';

const MAX_VALUE = 80;

/** One line an operator can read: `backends.api.algorithm: roundrobin -> random`. */
export function describeChange(change: Change): string {
  switch (change.kind) {
    case 'changed':
      return `${change.path}: ${show(change.approved)} -> ${show(change.live)}`;
    case 'added':
      return `${change.path}: added ${show(change.live)}`;
    case 'removed':
      return `${change.path}: removed (was ${show(change.approved)})`;
    case 'moved':
      return `${change.path}: order changed (${show(change.approved)} -> ${show(change.live)})`;
  }
}

export function show(value: TreeValue | undefined): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
