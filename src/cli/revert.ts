import { revert } from '../actions/revert.js';
import { firstEmptyPool } from '../diff/pools.js';
import { unifiedDiff } from '../diff/text-diff.js';
import { UsageError } from '../errors.js';
import { checkTarget } from '../reconcile/check-target.js';
import { selectTargets } from '../reconcile/pass.js';
import { recordCheck } from '../reconcile/record.js';
import { getProvider } from '../providers/registry.js';
import type { Runtime } from '../reconcile/runtime.js';
import { withRuntime, type GlobalOptions } from './context.js';
import { EXIT, JSON_SCHEMA_VERSION, paint, printJson, type Io } from './io.js';
import { renderTarget } from './render.js';

export interface RevertOptions {
  to?: string;
  dryRun?: boolean;
  yes?: boolean;
  reason?: string;
  force?: boolean;
  allowStale?: boolean;
  json?: boolean;
}

/**
 * `driftwarden revert TARGET [--to REF]`: puts the approved version (branch tip, or the file at
 * REF) onto the live load balancer, whatever the target's mode. Shows what it will apply, asks on
 * a terminal (else needs --yes), and goes through the provider's validate/apply/verify/rollback.
 */
export async function revertCommand(io: Io, global: GlobalOptions, name: string, opts: RevertOptions): Promise<number> {
  return withRuntime(io, global, 'revert', true, async (rt) => {
    const [target] = selectTargets(rt.config.targets, [name]);
    if (!target) return EXIT.error;
    if (!getProvider(target.provider).apply) throw new UsageError(`target ${name} uses provider ${target.provider}, which cannot apply a config`);
    const git = await rt.git.sync();
    const overrides: string[] = [];
    // Each refusal is printed and recorded (revert.skipped, data.refused names the guard rail).
    const refuse = (code: string, why: string, at: { commit?: string | null; approvedHash?: string; liveHash?: string } = {}) => {
      rt.history.append({ type: 'revert.skipped', target: name, commit: at.commit ?? git.commit, approvedHash: at.approvedHash ?? null, liveHash: at.liveHash ?? null, actor: rt.actor, reason: why, data: { refused: code, manual: true, ...(opts.to ? { to: opts.to } : {}), ...(opts.reason ? { operatorReason: opts.reason } : {}) } });
      if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'revert', target: name, applied: false, refused: why });
      io.err(`error: not reverting ${name}: ${why}`);
      return EXIT.error;
    };
    if (git.stale) {
      if (!opts.allowStale) return refuse('stale-git', `the Git fetch failed (${git.error ?? 'unknown'}); the approved version may be outdated. Pass --allow-stale to use the commit fetched at ${git.fetchedAt}`);
      overrides.push('allow-stale');
    }
    const commit = opts.to ? await rt.git.resolveRef(opts.to) : git.commit;
    if (!commit) return refuse('unknown-ref', `${JSON.stringify(opts.to)} is not a commit, tag or branch of ${rt.git.displayRepo()}`);
    if (opts.to && !(await rt.git.inApprovedHistory(commit))) {
      if (!opts.force) return refuse('outside-approved-history', `${opts.to} (${commit.slice(0, 12)}) is not in the history of the approved branch ${git.branch}; pass --force to revert to it anyway (recorded as forced)`);
      overrides.push('outside-approved-history');
    }
    // A person may revert during a pause or a contested state (break glass): it is recorded as such.
    const held = rt.history.state(name);
    if (held.pause && Date.parse(held.pause.until) > Date.now()) overrides.push('paused');
    if (held.contested) overrides.push('contested');
    const check = await checkTarget(rt, target, { ...git, commit }, new Date(), { mode: 'alert' });
    const r = check.result;
    if (r.status === 'error') return refuse('live-read-failed', `the live config could not be read cleanly: ${r.error?.message ?? ''}`, { commit });
    if (check.approvedText === null || !check.comparison) return refuse('approved-unreadable', 'the approved file could not be read', { commit });
    const hashes = { commit, approvedHash: check.comparison.approvedHash, liveHash: check.comparison.liveHash };
    const empty = await emptyPoolOf(check.approvedText, target, rt);
    if (empty) {
      if (!opts.force) return refuse('empty-pool', `the version at ${commit.slice(0, 12)} leaves ${empty} with no server able to take traffic; pass --force to apply it anyway`, hashes);
      overrides.push('empty-pool');
    }
    if (!opts.json) {
      io.out(`${name}: ${check.comparison.inSync ? 'live already equals' : 'will apply'} ${target.desired}@${commit.slice(0, 12)}${commit === git.commit ? ` (tip of ${git.branch})` : ''}`);
      renderTarget(io, r, Number.POSITIVE_INFINITY);
      if (!check.comparison.inSync) {
        const d = unifiedDiff(check.comparison.liveText, check.comparison.approvedText, `live: ${r.live?.origin ?? name}`, `approved: ${target.desired}@${commit.slice(0, 12)}`);
        if (d.kind === 'patch') for (const line of d.patch.split('\n')) io.out(line);
      }
    }
    if (check.comparison.inSync && !overrides.includes('empty-pool')) {
      if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'revert', target: name, commit, applied: false, inSync: true });
      else io.out('nothing to revert: the live config already equals that version');
      return EXIT.ok;
    }
    if (opts.dryRun) {
      if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'revert', target: name, commit, dryRun: true, applied: false, changes: r.changes });
      else io.out(paint(io, 'yellow', 'dry run: nothing was applied'));
      return EXIT.drift;
    }
    if (!opts.yes) {
      if (!io.ask) return refuse('no-confirmation', 'no terminal to ask for confirmation on; pass --yes to revert without asking', hashes);
      if (!(await io.ask(`Revert ${name} to ${target.desired}@${commit.slice(0, 12)}?`))) return refuse('not-confirmed', 'not confirmed', hashes);
    }
    const result = await revert(rt, {
      target,
      approvedText: check.approvedText,
      commit,
      approvedHash: check.comparison.approvedHash,
      liveHash: check.comparison.liveHash,
      key: `${commit}:${check.comparison.approvedHash}:${check.comparison.liveHash}`,
      actor: rt.actor,
      reason: opts.reason ?? 'manual revert',
      overrides,
    });
    // Record where the target now stands against the approved tip.
    await recordCheck(rt, await checkTarget(rt, target, git, new Date(), { mode: 'alert' }));
    const o = result.outcome;
    if (opts.json) printJson(io, { schemaVersion: JSON_SCHEMA_VERSION, command: 'revert', target: name, commit, applied: o.kind === 'applied', outcome: o, events: result.events.map((e) => ({ id: e.id, type: e.type })) });
    else if (o.kind === 'applied') io.out(paint(io, 'green', `reverted ${name} to ${commit.slice(0, 12)}: ${o.steps.join('; ')}`));
    else io.err(`error: revert ${o.kind}: ${o.kind === 'invalid' ? o.messages.map((m) => (m.line ? `line ${m.line}: ${m.message}` : m.message)).join('; ') : o.reason} (${o.steps.join('; ')})`);
    return o.kind === 'applied' ? EXIT.ok : EXIT.error;
  });
}

async function emptyPoolOf(text: string, target: Parameters<typeof checkTarget>[1], rt: Runtime): Promise<string | null> {
  try {
    return firstEmptyPool((await getProvider(target.provider).parse(text, target.desired, target)).root);
  } catch {
    return null; // a parse failure is reported by validation during apply
  }
}
