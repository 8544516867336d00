import { createHash } from 'node:crypto';
import { canonicalJson } from '../diff/tree.js';
import type { HistoryEvent } from './events.js';

/** SHA-256 over the previous hash and the event's canonical content (every field but `hash`). */
export function eventHash(event: Omit<HistoryEvent, 'hash'>): string {
  const content = canonicalJson({ ...event });
  return createHash('sha256').update(event.prevHash).update('\n').update(content).digest('hex');
}
