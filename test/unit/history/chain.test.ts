import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/diff/tree.js';
import { eventHash } from '../../../src/history/chain.js';

describe('the hash chain', () => {
  it('is SHA-256 over the previous hash, a line break and the canonical event, as since 0.1.0 (histories written before still verify)', () => {
    const event = {
      id: 7,
      time: '2026-11-27T23:00:00.000Z',
      target: 'edge-lb',
      type: 'drift.detected',
      commit: 'a'.repeat(40),
      approvedHash: 'b'.repeat(64),
      liveHash: 'c'.repeat(64),
      fingerprint: '0123456789abcdef',
      severity: 'critical' as const,
      changes: [{ path: 'backends.api.algorithm', kind: 'changed' as const, approved: 'roundrobin', live: 'random', severity: 'critical' as const, line: 4 }],
      provenance: null,
      actor: 'cli:root',
      reason: 'café ☕',
      data: null,
      prevHash: 'd'.repeat(64),
    };
    const expected = createHash('sha256').update(event.prevHash).update('\n').update(canonicalJson(event)).digest('hex');
    expect(eventHash(event)).toBe(expected);
    // A fixed value too: the definition must not drift with canonicalJson either.
    expect(eventHash(event)).toBe('ddffa3fcc00fd589e6f20ed49200486a00ebccde189d95ecc283aa58e19a870a');
  });
});
