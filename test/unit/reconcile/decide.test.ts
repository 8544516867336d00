import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../../src/reconcile/compare.js';
import { backoffDelayMs, decide, type DecideContext, type Outcome } from '../../../src/reconcile/decide.js';
import { emptyState, type TargetState } from '../../../src/history/target-state.js';

const comparison = (fingerprint: string | null): Comparison => ({
  inSync: fingerprint === null,
  approvedHash: 'a',
  liveHash: 'b',
  fingerprint,
  changes: fingerprint ? [{ path: 'backends.api.algorithm', kind: 'changed', approved: 'roundrobin', live: 'random', severity: 'critical' }] : [],
  severity: fingerprint ? 'critical' : null,
  approvedText: '',
  liveText: '',
});
const compared = (fp: string | null): Outcome => ({ kind: 'compared', comparison: comparison(fp) });
const state = (patch: Partial<TargetState>): TargetState => ({ ...emptyState('t'), ...patch });
const NOW = new Date('2026-11-27T12:00:00Z');
const policy = { maxReverts: 3, windowMs: 3_600_000, backoffInitialMs: 2_000, backoffMaxMs: 300_000 };
const ctx = (patch: Partial<DecideContext> = {}): DecideContext => ({ mode: 'alert', now: NOW, policy, gitStale: false, key: 'c:a:b', approvedEmptyPool: null, canApply: true, ...patch });
const drifted = state({ status: 'drifted', fingerprint: 'f' });

describe('decide (pure)', () => {
  it('records each transition once and nothing for a repeated observation', () => {
    expect(decide(state({}), compared(null), ctx())).toEqual({ event: 'target.in-sync', action: { kind: 'none' } });
    expect(decide(state({ status: 'in-sync' }), compared(null), ctx())).toEqual({ event: null, action: { kind: 'none' } });
    expect(decide(state({ status: 'in-sync' }), compared('f1'), ctx())).toEqual({ event: 'drift.detected', action: { kind: 'alert' } });
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared('f1'), ctx()).event).toBeNull();
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared('f2'), ctx()).event).toBe('drift.changed');
    expect(decide(state({ status: 'drifted', fingerprint: 'f1' }), compared(null), ctx()).event).toBe('drift.resolved');
  });

  it('records a failure once per distinct message, and never reverts on a failed observation', () => {
    const failed: Outcome = { kind: 'failed', stage: 'observe', message: 'gone' };
    expect(decide(state({ status: 'in-sync' }), failed, ctx({ mode: 'revert' }))).toEqual({ event: 'observe.failed', action: { kind: 'alert' } });
    expect(decide(state({ status: 'error', error: 'gone' }), failed, ctx()).event).toBeNull();
    expect(decide(state({ status: 'error', error: 'other' }), failed, ctx()).event).toBe('observe.failed');
    expect(decide(state({ status: 'error', error: 'gone' }), compared(null), ctx()).event).toBe('target.in-sync');
  });

  it('mode pr proposes a drift, closes the PR once in sync, and never proposes a changed secret', () => {
    expect(decide(state({}), compared('f'), ctx({ mode: 'pr' })).action).toEqual({ kind: 'pull-request' });
    const open = { number: 3, url: 'u', branch: 'driftwarden/t', fingerprint: 'f', bodyHash: 'h', state: 'open' as const };
    expect(decide(state({ status: 'drifted', fingerprint: 'f', pr: open }), compared(null), ctx({ mode: 'pr' })).action).toEqual({ kind: 'close-pr' });
    expect(decide(state({ status: 'in-sync' }), compared(null), ctx({ mode: 'pr' })).action).toEqual({ kind: 'none' });
    const secret: Outcome = { kind: 'compared', comparison: { ...comparison('f'), approvedText: 'password: [secret:aaaaaaaa]\n', liveText: 'password: [secret:bbbbbbbb]\n', changes: [{ path: 'stats.password', kind: 'changed', approved: '[secret:aaaaaaaa]', live: '[secret:bbbbbbbb]', severity: 'low' }] } };
    const haproxyAuth: Outcome = { kind: 'compared', comparison: { ...comparison('f'), approvedText: 'stats auth [secret:aaaaaaaa]\n', liveText: 'stats auth [secret:cccccccc]\n' } };
    expect(decide(state({}), haproxyAuth, ctx({ mode: 'pr' })).action).toMatchObject({ kind: 'refuse', reason: 'secret' });
    expect(decide(state({}), secret, ctx({ mode: 'pr' })).action).toMatchObject({ kind: 'refuse', reason: 'secret', detail: expect.stringContaining('stats.password') });
  });

  it('mode pr proposes nothing for a drift in the running process only (the file equals Git), but does for a file change beside it', () => {
    const weight = { path: 'backends.api.servers.s2.weight', kind: 'changed' as const, approved: 10, live: 0, severity: 'high' as const };
    const runtimeOnly: Outcome = { kind: 'compared', comparison: { ...comparison('f'), changes: [{ ...weight, scope: 'runtime' }, { path: 'process.lastReload', kind: 'changed', approved: 'succeeded', live: 'failed', severity: 'high', scope: 'process' }] } };
    expect(decide(state({}), runtimeOnly, ctx({ mode: 'pr' })).action).toMatchObject({ kind: 'refuse', reason: 'not-in-file', detail: expect.stringMatching(/a pull request has nothing to propose/) });
    const mixed: Outcome = { kind: 'compared', comparison: { ...comparison('f'), changes: [{ ...weight, scope: 'runtime' }, ...comparison('f').changes] } };
    expect(decide(state({}), mixed, ctx({ mode: 'pr' })).action).toEqual({ kind: 'pull-request' });
  });

  it('mode pr never proposes a rejected drift again: it reverts (through the guard rails) or alerts, per onReject', () => {
    const rejected = state({ status: 'drifted', fingerprint: 'f', pr: { number: 3, url: 'u', branch: 'b', fingerprint: 'f', bodyHash: 'h', state: 'closed' } });
    expect(decide(rejected, compared('f'), ctx({ mode: 'pr', onReject: 'revert' })).action).toEqual({ kind: 'revert' });
    expect(decide(rejected, compared('f'), ctx({ mode: 'pr', onReject: 'revert', gitStale: true })).action).toMatchObject({ kind: 'refuse', reason: 'stale-git' });
    expect(decide(rejected, compared('f'), ctx({ mode: 'pr', onReject: 'alert' })).action.kind).not.toBe('pull-request');
    expect(decide(rejected, compared('f2'), ctx({ mode: 'pr' })).action).toEqual({ kind: 'pull-request' });
  });

  describe('revert mode guard rails', () => {
    const act = (s: TargetState, patch: Partial<DecideContext> = {}) => decide(s, compared('f'), ctx({ mode: 'revert', ...patch })).action;

    it('reverts a drift when nothing stands in the way', () => {
      expect(act(drifted)).toEqual({ kind: 'revert' });
    });

    it('refuses, with a reason, when paused, contested, on stale Git, or when the approved pool is empty', () => {
      expect(act(state({ ...drifted, pause: { until: '2026-11-27T13:00:00Z', reason: 'incident 42', actor: 'cli:jane' } }))).toMatchObject({ kind: 'refuse', reason: 'paused', detail: expect.stringContaining('incident 42') });
      expect(act(state({ ...drifted, pause: { until: '2026-11-27T11:00:00Z', reason: 'old', actor: 'cli:jane' } }))).toEqual({ kind: 'revert' });
      expect(act(state({ ...drifted, contested: { since: '2026-11-27T11:00:00Z', fields: ['backends.api.algorithm'] } }))).toMatchObject({ kind: 'refuse', reason: 'contested' });
      expect(act(drifted, { gitStale: true })).toMatchObject({ kind: 'refuse', reason: 'stale-git' });
      expect(act(drifted, { gitStale: true, allowStale: true })).toEqual({ kind: 'revert' });
      expect(act(drifted, { approvedEmptyPool: 'backends.api' })).toMatchObject({ kind: 'refuse', reason: 'empty-pool', detail: expect.stringContaining('backends.api') });
      expect(act(drifted, { approvedEmptyPool: 'backends.api', force: true })).toEqual({ kind: 'revert' });
      expect(act(drifted, { canApply: false })).toMatchObject({ kind: 'refuse', reason: 'cannot-apply' });
    });

    it('backs off after a failure of the same content, and never retries content that failed validation', () => {
      const failed = (until: string | null) => state({ ...drifted, backoff: { key: 'c:a:b', failures: 2, until, reason: 'reload failed' } });
      expect(act(failed('2026-11-27T12:00:05Z'))).toMatchObject({ kind: 'refuse', reason: 'backoff' });
      expect(act(failed('2026-11-27T11:59:59Z'))).toEqual({ kind: 'revert' });
      expect(act(failed(null))).toMatchObject({ kind: 'refuse', reason: 'same-failure' });
      expect(act(failed(null), { key: 'c2:a:b' })).toEqual({ kind: 'revert' });
      expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, policy))).toEqual([2_000, 6_000, 18_000, 54_000, 162_000, 300_000, 300_000]);
    });

    it('marks a target contested when the drift keeps coming back after reverts', () => {
      const reverts = ['2026-11-27T11:10:00Z', '2026-11-27T11:30:00Z', '2026-11-27T11:50:00Z'];
      expect(act(state({ ...drifted, reverts }))).toMatchObject({ kind: 'contest', fields: ['backends.api.algorithm'] });
      expect(act(state({ ...drifted, reverts: ['2026-11-27T10:00:00Z', ...reverts.slice(1)] }))).toEqual({ kind: 'revert' });
    });
  });
});
