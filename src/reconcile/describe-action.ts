import type { ActionReport } from './act.js';

/** One line for people: what a pass did for a target (undefined when nothing worth saying). */
export function describeAction(a: ActionReport): string | undefined {
  switch (a.kind) {
    case 'none':
    case 'alerted':
      return undefined;
    case 'would-propose-pr':
      return 'would open or update the drift pull request';
    case 'would-close-pr':
      return 'would close the drift pull request (the live config is back to the approved one)';
    case 'pr':
      return `pull request #${a.number} ${a.outcome}: ${a.url}${a.warnings ? ` (but ${a.warnings.join('; ')})` : ''}`;
    case 'pr-failed':
      return `pull request step failed: ${a.reason}`;
    case 'would-revert':
      return `would revert to ${a.commit.slice(0, 12)}`;
    case 'reverted':
      return `reverted to ${a.commit.slice(0, 12)} (${a.steps.join('; ')})`;
    case 'revert-failed':
      return `revert ${a.outcome.kind}: ${a.outcome.kind === 'invalid' ? a.outcome.messages.map((m) => m.message).join('; ') : 'reason' in a.outcome ? a.outcome.reason : ''}`;
    case 'refused':
      return `not reverting (${a.reason}): ${a.detail}`;
    case 'contested':
      return `contested, automation stopped: ${a.detail}; fields: ${a.fields.join(', ')}`;
  }
}
