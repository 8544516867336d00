// The in-process work of one `driftwarden check` of one target, as src/reconcile/ does it, on
// files instead of Git and a live load balancer. It mirrors observe.ts and check-target.ts:
//   - read both texts; for a provider without parseAll, byte-equal texts are in sync unparsed
//     (observe.ts `identical`; the comparison is then just the hash of the text);
//   - otherwise narrow both texts to the blocks that differ (provider.narrow, observe.ts), parse
//     both (parseAll when the provider has it, the live side expanding the includes the approved
//     side did), then compareConfigs with the rules check-target.ts builds, the hashes of the
//     texts as read and the full texts for display. The bench targets are in mode alert: like
//     check-target.ts, the check then needs no firstEmptyPool of the whole approved config
//     (the revert guard rail; see `revertGuard` for what mode revert adds on a drift).
// The unified diff is not part of a check: only `diff`, `revert` and drift PRs compute it, for
// display, so it is measured on its own (displayDiff).
import { readFileSync } from 'node:fs';
import { clearNarrowCache } from '../../dist/diff/narrow.js';
import { Redactor } from '../../dist/diff/redact.js';
import { firstEmptyPool } from '../../dist/diff/pools.js';
import { DEFAULT_SEVERITY_RULES } from '../../dist/diff/severity.js';
import { unifiedDiff } from '../../dist/diff/text-diff.js';
import { haproxyProvider } from '../../dist/providers/haproxy/index.js';
import { clearHaproxyCache } from '../../dist/providers/haproxy/model.js';
import { nginxProvider } from '../../dist/providers/nginx/index.js';
import { clearNginxCache } from '../../dist/providers/nginx/model.js';
import { compareConfigs, forgetTextHashes, textHash } from '../../dist/reconcile/compare.js';

export const PROVIDERS = {
  haproxy: { provider: haproxyProvider, desired: 'lb/haproxy.cfg', config: '/etc/haproxy/haproxy.cfg' },
  nginx: { provider: nginxProvider, desired: 'lb/nginx.conf', config: '/etc/nginx/nginx.conf' },
};

/** Forgets every parsed section, so that the next check parses as the first one after a start. */
export function forgetParses() {
  clearHaproxyCache();
  clearNginxCache();
  clearNarrowCache();
  forgetTextHashes();
}

/** A fixed install key: fingerprints must not vary between runs of the bench. */
const redactor = new Redactor(Buffer.alloc(32, 7));

/** No other files beside the main one (the generated configs have no `include`). */
const noFiles = (dir) => ({ list: async () => [], read: async () => null, label: (rel) => `${dir}/${rel}` });

function targetOf(kind) {
  const { desired, config } = PROVIDERS[kind];
  return { name: `bench-${kind}`, desired, provider: kind, mode: 'alert', ignore: [], severity: [], config, binary: kind, verifyTimeoutMs: 15_000 };
}

/** parse as observe.ts does: parseAll for providers that follow includes, with the live side expanding what the approved side did. */
async function parseSide(kind, text, origin, expand) {
  const { provider } = PROVIDERS[kind];
  const target = targetOf(kind);
  if (!provider.parseAll) return provider.parse(text, origin, target);
  return provider.parseAll(text, origin, target, noFiles(origin), expand);
}

/** Reads both files (diff -u reads them too) and compares them as check-target.ts does. Returns the Comparison. */
export async function semanticCheck(kind, approvedFile, liveFile) {
  const target = targetOf(kind);
  const { provider } = PROVIDERS[kind];
  const approvedText = readFileSync(approvedFile, 'utf8');
  const liveText = readFileSync(liveFile, 'utf8');
  if (!provider.parseAll && liveText === approvedText) {
    const hash = textHash(approvedText);
    return { inSync: true, approvedHash: hash, liveHash: hash, fingerprint: null, changes: [], severity: null, approvedText: '', liveText: '' };
  }
  const narrowed = provider.narrow?.(approvedText, liveText);
  const approved = await parseSide(kind, narrowed?.approved ?? approvedText, `${target.desired}@0123456789ab`);
  const live = await parseSide(kind, narrowed?.live ?? liveText, target.config, new Set(approved.included ?? []));
  const rules = [...target.severity, ...DEFAULT_SEVERITY_RULES];
  return compareConfigs(approved, live, {
    rules,
    ignore: target.ignore,
    redactor,
    findings: [],
    hashes: { approved: textHash(approvedText), live: textHash(liveText) },
    texts: { approved: approvedText, live: liveText },
  });
}

/** What a target in mode revert adds to a drifted check: the whole approved config parsed, for firstEmptyPool. */
export async function revertGuard(kind, approvedFile) {
  const target = targetOf(kind);
  return firstEmptyPool((await parseSide(kind, readFileSync(approvedFile, 'utf8'), `${target.desired}@0123456789ab`)).root);
}

/** The capped unified diff that `driftwarden diff` shows for a drifted comparison. */
export function displayDiff(kind, comparison) {
  if (comparison.inSync) return { kind: 'none' };
  const target = targetOf(kind);
  return unifiedDiff(comparison.approvedText, comparison.liveText, `approved: ${target.desired}@0123456789ab`, `live: ${target.config}`);
}
