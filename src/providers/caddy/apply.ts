import { errorMessage, ParseError } from '../../errors.js';
import { isObject } from '../../diff/tree.js';
import type { ApplyOutcome, ProviderContext, TargetBase } from '../provider.js';
import { adminRequest, errorText, readRunningConfig } from './admin-api.js';
import { validateCaddy } from './cli.js';
import { approvedJson, type CaddyOptions } from './index.js';
import { parseCaddyJson } from './model.js';

type Target = TargetBase & CaddyOptions;

/**
 * validate -> read the running config and its ETag -> POST /config/ with If-Match (a 412 means
 * someone changed it in between: nothing is overwritten) -> read again to verify. Caddy rolls a
 * failed load back itself; a verification failure puts the previous config back.
 */
export async function applyCaddy(target: Target, approvedText: string, _ctx: ProviderContext): Promise<ApplyOutcome> {
  let json: string;
  try {
    json = await approvedJson(approvedText, target.desired, target);
  } catch (err) {
    if (err instanceof ParseError) return { kind: 'invalid', messages: [{ ...(err.line ? { line: err.line } : {}), message: err.detail }], steps: ['adapt: caddy adapt refused the approved Caddyfile'] };
    throw err;
  }
  const check = await validateCaddy(json, target.desired, target.binary);
  if (!check.ok) return { kind: 'invalid', messages: check.messages, steps: ['validate: caddy validate refused the approved config'] };
  const steps = ['validate: ok (caddy validate)'];
  let running: { text: string; etag?: string };
  try {
    running = await readRunningConfig(target.adminApi, target.timeoutMs);
  } catch (err) {
    return { kind: 'failed', stage: 'write', reason: errorMessage(err), steps };
  }
  const payload = withAdmin(json, running.text);
  try {
    return await load(target, json, payload, running, steps);
  } catch (err) {
    // The POST may have been accepted before the connection broke: say so, do not claim a clean write failure.
    return { kind: 'failed', stage: 'verify', reason: `the admin API failed after the config was sent, so it may be live unverified: ${errorMessage(err)}`, steps };
  }
}

async function load(target: Target, json: string, payload: string, running: { text: string; etag?: string }, steps: string[]): Promise<ApplyOutcome> {
  const load = await adminRequest(target.adminApi, 'POST', 'config/', { body: payload, ...(running.etag ? { ifMatch: running.etag } : {}), timeoutMs: target.timeoutMs });
  if (load.status === 412) return { kind: 'conflict', reason: 'the running Caddy config changed while driftwarden was applying (ETag mismatch); nothing was overwritten: check again', steps };
  if (load.status !== 200) return { kind: 'rolled-back', stage: 'reload', reason: `Caddy refused the config (HTTP ${load.status}) and kept the previous one: ${errorText(load.body)}`, steps };
  steps.push(`load: POST /config/ accepted (If-Match ${running.etag ?? 'none'})`);
  const want = parseCaddyJson(json, target.desired).canonical;
  const now = await readRunningConfig(target.adminApi, target.timeoutMs);
  if (parseCaddyJson(now.text, 'live').canonical === want) {
    steps.push('verify: GET /config/ shows the approved config');
    return { kind: 'applied', steps };
  }
  const back = await adminRequest(target.adminApi, 'POST', 'config/', { body: running.text, timeoutMs: target.timeoutMs });
  if (back.status !== 200) return { kind: 'failed', stage: 'rollback', reason: `verification failed and restoring the previous config failed too: ${errorText(back.body)}`, steps };
  return { kind: 'rolled-back', stage: 'verify', reason: 'GET /config/ did not show the approved config after the load; the previous config was restored', steps };
}

/** Keeps the running admin settings when the approved config has none, so the API stays reachable. */
function withAdmin(approved: string, running: string): string {
  const config = JSON.parse(approved) as Record<string, unknown>;
  if (config.admin !== undefined) return approved;
  const live = JSON.parse(running) as Record<string, unknown>;
  return isObject(live.admin as never) ? JSON.stringify({ ...config, admin: live.admin }) : approved;
}
