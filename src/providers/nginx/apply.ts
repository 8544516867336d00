import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../errors.js';
import type { ApplyOutcome, ProviderContext, TargetBase } from '../provider.js';
import { keepPrevious, writeFileAtomic } from '../shared/atomic-file.js';
import { runShell } from '../shared/exec.js';
import { faultPoint } from '../shared/fault.js';
import { nginx, validateNginx } from './cli.js';
import type { NginxOptions } from './index.js';
import { childPids, readPid } from './process.js';

type Target = TargetBase & NginxOptions;
type Step = { ok: true; note: string } | { ok: false; reason: string };

/**
 * validate (nginx -t) -> write (previous kept) -> reload -> verify that the master replaced every
 * worker (it does only after loading the new config) -> on failure restore, reload, verify.
 */
export async function applyNginx(target: Target, approved: string, ctx: ProviderContext, pidFile: string): Promise<ApplyOutcome> {
  const check = await validateNginx(approved, target, target.desired);
  if (!check.ok) return { kind: 'invalid', messages: check.messages, steps: ['validate: nginx -t refused the approved config'] };
  const steps = ['validate: ok (nginx -t)'];
  let previous: string;
  try {
    previous = keepPrevious(target.config);
    writeFileAtomic(target.config, approved);
    steps.push(`write: ${target.config} (previous kept as ${target.config}.driftwarden.prev)`);
  } catch (err) {
    return { kind: 'failed', stage: 'write', reason: errorMessage(err), steps };
  }
  await faultPoint('after-write');
  const result = await reloadAndVerify(target, pidFile, ctx);
  if (result.ok) {
    steps.push(`reload: ok; verify: ${result.note}`);
    return { kind: 'applied', steps };
  }
  steps.push(`reload: failed: ${result.reason}`);
  try {
    writeFileAtomic(target.config, previous);
    const back = await reloadAndVerify(target, pidFile, ctx);
    if (!back.ok) return { kind: 'failed', stage: 'rollback', reason: `${result.reason}; rollback also failed: ${back.reason}`, steps };
    steps.push(`rollback: previous config restored and reloaded (${back.note})`);
    return { kind: 'rolled-back', stage: 'reload', reason: result.reason, steps };
  } catch (err) {
    return { kind: 'failed', stage: 'rollback', reason: `${result.reason}; rollback also failed: ${errorMessage(err)}`, steps };
  }
}

async function reloadAndVerify(target: Target, pidFile: string, ctx: ProviderContext): Promise<Step> {
  const master = readPid(pidFile);
  if (!master) return { ok: false, reason: `no nginx master: pid file ${pidFile} is missing or empty (set the target's pidFile)` };
  const before = new Set(childPids(master));
  const logFrom = target.errorLog ? sizeOf(target.errorLog) : 0;
  const r = target.reload ? await runShell(target.reload, { timeoutMs: target.verifyTimeoutMs }) : await nginx(target, ['-s', 'reload']);
  if (r.code !== 0) return { ok: false, reason: `reload exited ${r.code ?? 'abnormally'}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  const deadline = Date.now() + target.verifyTimeoutMs;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    const now = childPids(master);
    if (now.length > 0 && now.every((p) => !before.has(p))) return { ok: true, note: `master ${master} replaced its workers with the new config` };
    await sleep(100);
  }
  const log = target.errorLog ? newErrors(target.errorLog, logFrom) : '';
  return { ok: false, reason: `nginx kept its old workers after ${target.verifyTimeoutMs} ms: it did not load the new config${log ? ` (${log})` : ''}` };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The first serious errors nginx logged since `from`: why the reload did not take. */
function newErrors(file: string, from: number): string {
  try {
    const lines = readFileSync(file).subarray(from).toString('utf8').split('\n');
    return lines.filter((l) => /\[(emerg|alert|crit)\]/.test(l)).slice(0, 2).map((l) => l.replace(/^.*?\[/, '[').replace(/\[(\w+)\] \d+#\d+: /, '[$1] ')).join('; ');
  } catch {
    return '';
  }
}
