import type { Change } from './compare.js';
import { splitPath, type TreeValue, type Vocabulary } from './tree.js';

const MAX_VALUE = 80;
const SCOPE_PREFIX = { config: '', process: 'running process: ', runtime: 'runtime only: ' } as const;

/**
 * One line an operator can read. With a vocabulary, in the load balancer's words
 * (`backend api: balance roundrobin -> random`); without, by path (`backends.api.algorithm: a -> b`).
 */
export function describeChange(change: Change, vocabulary?: Vocabulary): string {
  if (change.summary) return change.summary;
  // Text, or two different formats: there is no model to name what changed.
  if (change.path === '(content)') return 'content differs (no semantic model for it: `driftwarden diff` shows the lines)';
  const prefix = SCOPE_PREFIX[change.scope ?? 'config'];
  const { subject, rest } = phrase(change.path, vocabulary);
  switch (change.kind) {
    case 'changed':
      return withoutTrailingColon(`${prefix}${subject}${rest}${rest ? ' ' : ''}${show(change.approved)} -> ${show(change.live)}`);
    case 'added':
      return `${prefix}${subject}${rest ? `${rest} ` : ''}added${change.live !== undefined ? `: ${show(change.live)}` : ''}`;
    case 'removed':
      return `${prefix}${subject}${rest ? `${rest} ` : ''}removed (was ${show(change.approved)})`;
    case 'moved':
      return `${prefix}${subject}${rest ? `${rest} ` : ''}order changed (${show(change.approved)} -> ${show(change.live)})`;
  }
}

/** `text` without a final `: ` (what `.replace(/: $/, '')` does, without a regular expression). */
function withoutTrailingColon(text: string): string {
  return text.endsWith(': ') ? text.slice(0, -2) : text;
}

function phrase(path: string, vocabulary?: Vocabulary): { subject: string; rest: string } {
  const segs = splitPath(path);
  const label = vocabulary && segs.length >= 2 ? vocabulary.collections[segs[0] as string] : undefined;
  if (!vocabulary || !label) return { subject: `${path}: `, rest: '' };
  const words: string[] = [];
  const rest = segs.slice(2);
  for (let i = 0; i < rest.length; i++) {
    const seg = rest[i] as string;
    if (seg === 'servers' && rest[i + 1] !== undefined) words.push(`server ${rest[++i]}`);
    else if (seg === 'algorithm' && vocabulary.algorithm) words.push(vocabulary.algorithm);
    else words.push(seg);
  }
  const subject = `${label} ${segs[1]}`;
  return words.length === 0 ? { subject: `${subject} `, rest: '' } : { subject: `${subject}: `, rest: words.join(' ') };
}

export function show(value: TreeValue | undefined): string {
  if (value === undefined) return '(none)';
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.address === 'string') return value.address;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
