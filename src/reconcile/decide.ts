import type { EventType } from '../history/events.js';
import type { TargetState } from '../history/target-state.js';
import type { Comparison } from './compare.js';

/** What a target's observation came to. */
export type Outcome =
  | { kind: 'compared'; comparison: Comparison }
  | { kind: 'failed'; stage: 'git' | 'observe' | 'parse-approved' | 'parse-live'; message: string };

export type Mode = 'alert' | 'pr' | 'revert';

/** Tagged decision: which event (if any) the transition is, and what action follows. */
export interface Decision {
  /** The history event for this transition; null when nothing changed since the last check. */
  event: EventType | null;
  /** alert: notify the webhooks of the transition; none: nothing to do. */
  action: { kind: 'none' } | { kind: 'alert'; note?: string };
}

/** Modes that later releases implement; until then they alert and say so. */
export function modeNote(mode: Mode): string | undefined {
  return mode === 'alert' ? undefined : `mode ${mode} is not available in this version; alerting instead`;
}

/** Pure: compares the outcome with the previous state and decides the transition and action. */
export function decide(previous: TargetState, outcome: Outcome, mode: Mode): Decision {
  const event = transition(previous, outcome);
  // A first observation that is in sync is recorded but is nothing to alert about.
  if (event === null || event === 'target.in-sync') return { event, action: { kind: 'none' } };
  const note = outcome.kind === 'compared' && !outcome.comparison.inSync ? modeNote(mode) : undefined;
  return { event, action: note ? { kind: 'alert', note } : { kind: 'alert' } };
}

function transition(previous: TargetState, outcome: Outcome): EventType | null {
  if (outcome.kind === 'failed') {
    return previous.status === 'error' && previous.error === outcome.message ? null : 'observe.failed';
  }
  const { comparison } = outcome;
  if (comparison.inSync) {
    if (previous.status === 'drifted') return 'drift.resolved';
    return previous.status === 'in-sync' ? null : 'target.in-sync';
  }
  if (previous.status !== 'drifted') return 'drift.detected';
  return previous.fingerprint === comparison.fingerprint ? null : 'drift.changed';
}
