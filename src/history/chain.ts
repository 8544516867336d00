import { hash } from 'node:crypto';
import { canonicalJson } from '../diff/tree.js';
import type { HistoryEvent } from './events.js';

/** SHA-256 over the previous hash and the event's canonical content (every field but `hash`). */
export function eventHash(event: Omit<HistoryEvent, 'hash'>): string {
  // One call (no Hash object per event); the same digest as updating with each part in turn.
  return hash('sha256', `${event.prevHash}\n${canonicalJson({ ...event })}`);
}
