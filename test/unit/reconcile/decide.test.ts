import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../../src/reconcile/compare.js';
import { decide, type Outcome } from '../../../src/reconcile/decide.js';
import { emptyState, type TargetState } from '../../../src/history/target-state.js';

const comparison = (fingerprint: string | null): Comparison => ({
  inSync: fingerprint === null,
  approvedHash: 'a',
  liveHash: 'b',
  fingerprint,
  changes: [],
  severity: fingerprint ? 'critical' : null,
  approvedText: '',
  liveText: '',
});
const compared = (fp: string | null): Outcome => ({ kind: 'compared', comparison: comparison(fp) });
const state = (patch: Partial<TargetState>): TargetState => ({ ...emptyState('t'), ...patch });

describe('decide (pure)', () => {
  it('records each transition once and nothing for a repeated observation', () => {
    expect(decide(state({}), compared(null), 'alert')).toEqual({ event: 'target.in-sync', action: { kind: 'none' } });
    expect(decide(state({ status: 'in-sync' }), compared(null), 'alert')).toEqual({ event: null, action: { kind: 'none' } });
    expect(decide(state({ status: 'in-sync' }), compared('f1'), 'alert')).toEqual({ event: 'drift.detected', action: { kind: 'alert' } });
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared('f1'), 'alert').event).toBeNull();
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared('f2'), 'alert').event).toBe('drift.changed');
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared(null), 'alert').event).toBe('drift.resolved');
  });

  it('records a failure once per distinct message', () => {
    const failed: Outcome = { kind: 'failed', stage: 'observe', message: 'gone' };
    expect(decide(state({ status: 'in-sync' }), failed, 'alert').event).toBe('observe.failed');
    expect(decide(state({ status: 'error', error: 'gone' }), failed, 'alert').event).toBeNull();
    expect(decide(state({ status: 'error', error: 'other' }), failed, 'alert').event).toBe('observe.failed');
    expect(decide(state({ status: 'error', error: 'gone' }), compared(null), 'alert').event).toBe('target.in-sync');
  });

  it('says that pr and revert modes alert until they exist', () => {
    expect(decide(state({}), compared('f'), 'revert').action).toEqual({ kind: 'alert', note: expect.stringMatching(/mode revert is not available/) });
  });
});
