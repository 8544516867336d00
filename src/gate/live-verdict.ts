import type { Config, Target } from '../config/types.js';
import { errorMessage, ParseError } from '../errors.js';
import type { ValidationMessage } from '../providers/provider.js';
import { getProvider } from '../providers/registry.js';
import { evaluatePolicy, type PolicyViolation } from './policy.js';

/** The gate's verdict on a live config, for a drift PR: would approving it break a rule? */
export interface LiveVerdict {
  /** null: the provider has no native checker. */
  validation: { ok: boolean; command: string; messages: ValidationMessage[] } | { error: string } | null;
  /** Rules that apply to the target, and what breaks them; null when the live text does not parse. */
  policy: { rules: string[]; violations: PolicyViolation[] } | null;
}

const COMMAND: Record<string, string> = { haproxy: 'haproxy -c', nginx: 'nginx -t', caddy: 'caddy validate' };

/**
 * Native validation and policy on the live content, where it runs (relative paths resolve
 * beside the live config). Never throws: what could not be checked is said in the verdict.
 */
export async function liveVerdict(config: Config, target: Target, liveText: string): Promise<LiveVerdict> {
  const provider = getProvider(target.provider);
  let validation: LiveVerdict['validation'] = null;
  if (provider.validate) {
    try {
      const r = await provider.validate(liveText, target, { baseDir: config.baseDir, signal: AbortSignal.timeout(60_000) });
      validation = { ok: r.ok, command: COMMAND[target.provider] ?? 'native checker', messages: r.ok ? [] : r.messages };
    } catch (err) {
      validation = { error: errorMessage(err) };
    }
  }
  let policy: LiveVerdict['policy'] = null;
  try {
    policy = evaluatePolicy(config.policy, target.name, await provider.parse(liveText, target.desired, target));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
  }
  return { validation, policy };
}
