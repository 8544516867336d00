import { Webhooks } from '@octokit/webhooks';
import type { Config } from '../config/types.js';
import type { HistoryStore } from '../history/store.js';
import type { PassRequest } from './runner.js';

export type WebhookVerdict =
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'pass'; request: PassRequest };

/**
 * A GitHub delivery: checks the signature (X-Hub-Signature-256, HMAC with the webhook secret)
 * before reading anything, then decides whether it asks for a pass. A merged or closed drift PR
 * asks for its target; a push to the approved branch for every target.
 */
export async function handleGitHubWebhook(
  secret: string,
  headers: { event?: string; signature?: string; delivery?: string },
  body: string,
  config: Config,
  history: HistoryStore,
): Promise<WebhookVerdict> {
  if (!headers.signature) return { kind: 'unauthorized', reason: 'missing X-Hub-Signature-256 header' };
  let valid = false;
  try {
    valid = await new Webhooks({ secret }).verify(body, headers.signature);
  } catch {
    valid = false;
  }
  if (!valid) return { kind: 'unauthorized', reason: 'signature does not match the webhook secret' };
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { kind: 'ignored', reason: 'body is not JSON (set the webhook content type to application/json)' };
  }
  const delivery = headers.delivery ? ` (delivery ${headers.delivery})` : '';
  switch (headers.event) {
    case 'ping':
      return { kind: 'ignored', reason: 'ping' };
    case 'push': {
      const ref = payload.ref;
      if (ref !== `refs/heads/${config.git.branch}`) return { kind: 'ignored', reason: `push to ${String(ref)}, not the approved branch ${config.git.branch}` };
      return { kind: 'pass', request: { trigger: 'webhook', detail: `push to ${config.git.branch}${delivery}` } };
    }
    case 'pull_request': {
      const pr = payload.pull_request as { number?: number; merged?: boolean } | undefined;
      if (payload.action !== 'closed' || typeof pr?.number !== 'number') return { kind: 'ignored', reason: `pull_request ${String(payload.action)}` };
      const targets = config.targets.filter((t) => history.state(t.name).pr?.number === pr.number).map((t) => t.name);
      const what = `pull request #${pr.number} ${pr.merged ? 'merged' : 'closed'}${delivery}`;
      // A PR that is not a drift PR may still change the approved branch (merged): check all.
      if (targets.length === 0 && !pr.merged) return { kind: 'ignored', reason: `${what}: not a drift pull request` };
      return { kind: 'pass', request: { trigger: 'webhook', ...(targets.length ? { targets } : {}), detail: what } };
    }
    default:
      return { kind: 'ignored', reason: `event ${headers.event ?? '(none)'} is not used` };
  }
}
