import { describeChange } from '../diff/describe.js';
import { provenanceLine, type Provenance } from '../git/provenance.js';
import type { Notification } from './message.js';

const TOP = 5;

const HEADLINE: Record<string, string> = {
  'drift.detected': ':rotating_light: new drift',
  'drift.changed': ':warning: drift changed',
  'drift.resolved': ':white_check_mark: drift resolved',
  'drift.reminder': ':hourglass: still drifted',
  'drift.approved': ':white_check_mark: drift approved (PR merged)',
  'pr.rejected': ':x: drift rejected (PR closed without merging)',
  'pr.merged': ':white_check_mark: drift PR merged',
  'revert.applied': ':leftwards_arrow_with_hook: reverted to Git',
  'revert.failed': ':boom: revert failed',
  'revert.rolled-back': ':boom: revert failed and was rolled back',
  'target.contested': ':crossed_swords: contested: another writer keeps undoing reverts',
  'target.paused': ':double_vertical_bar: paused',
  'target.resumed': ':arrow_forward: resumed',
  'observe.failed': ':grey_question: cannot read the live config',
};

/** Slack's mrkdwn needs &, < and > escaped; everything shown comes from redacted results. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An incoming-webhook payload: a plain `text` fallback (notifications) and readable blocks. */
export function slackPayload(n: Notification): { text: string; blocks: unknown[] } {
  const head = HEADLINE[n.event] ?? n.event;
  const title = `${head}: *${esc(n.target ?? 'driftwarden')}*${n.severity && /^drift\.(detected|changed|reminder)/.test(n.event) ? ` (${n.severity})` : ''}`;
  const lines: string[] = [];
  const shown = n.changes.slice(0, TOP);
  for (const c of shown) lines.push(`• \`${c.severity}\` ${esc(describeChange(c))}`);
  const total = n.changeCount ?? n.changes.length;
  if (total > shown.length) lines.push(`_… and ${total - shown.length} more_`);
  if (!/^drift\.(detected|changed|reminder)/.test(n.event) || shown.length === 0) lines.unshift(esc(n.summary));
  const context: string[] = [];
  if (n.reminder) context.push(`drifted since ${n.reminder.since}`);
  if (n.provenance && typeof n.provenance === 'object' && 'kind' in n.provenance) context.push(esc(provenanceLine(n.provenance as Provenance)));
  if (n.commit) context.push(`approved commit \`${n.commit.slice(0, 12)}\``);
  if (n.note) context.push(esc(n.note));
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${title}\n${lines.join('\n')}`.slice(0, 2900) } },
  ];
  if (n.pr) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `Pull request: <${n.pr.url}|#${n.pr.number}> (${n.pr.state})` } });
  if (context.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ').slice(0, 2900) }] });
  const text = `${head.replace(/^:[a-z_]+: /, '')}: ${n.target ?? 'driftwarden'}: ${n.summary}${n.pr ? ` (PR ${n.pr.url})` : ''}`;
  return { text, blocks };
}
