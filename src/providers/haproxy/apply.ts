import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../errors.js';
import type { Finding } from '../../diff/pools.js';
import { splitPath } from '../../diff/tree.js';
import type { ApplyOutcome, ProviderContext, TargetBase } from '../provider.js';
import { keepPrevious, writeFileAtomic } from '../shared/atomic-file.js';
import { runShell } from '../shared/exec.js';
import { faultPoint } from '../shared/fault.js';
import type { HaproxyOptions } from './index.js';
import { parseHaproxy } from './model.js';
import { runningFindings } from './running.js';
import { parseShowProc, readRunningState, runtimeCommand } from './runtime-api.js';
import { validateHaproxy } from './validate.js';

type Target = TargetBase & HaproxyOptions;
type Step = { ok: true; note?: string } | { ok: false; reason: string };

/**
 * validate -> write (previous kept) -> reload -> verify on the running process; on a failed
 * reload or verification the previous file is restored, reloaded and verified in turn.
 * When only runtime state drifted, it is put back through the Runtime API without a reload.
 */
export async function applyHaproxy(target: Target, approved: string, ctx: ProviderContext): Promise<ApplyOutcome> {
  const steps: string[] = [];
  const check = await validateHaproxy(approved, target.binary, target.config, target.desired);
  if (!check.ok) return { kind: 'invalid', messages: check.messages, steps: ['validate: haproxy -c refused the approved config'] };
  steps.push('validate: ok (haproxy -c)');
  let previous: string;
  try {
    previous = readFileSync(target.config, 'utf8');
  } catch (err) {
    return { kind: 'failed', stage: 'write', reason: `cannot read the live config: ${errorMessage(err)}`, steps };
  }
  const fileDiffers = parseHaproxy(previous, target.config).canonical !== parseHaproxy(approved, target.desired).canonical;
  // The file may already be right while the process is not (a crash between write and reload).
  const processDiffers = !fileDiffers && (await processFindings(target, approved)).length > 0;
  if (fileDiffers || processDiffers) {
    const before = await procState(target);
    if (fileDiffers) {
      try {
        keepPrevious(target.config);
        writeFileAtomic(target.config, approved);
        steps.push(`write: ${target.config} (previous kept as ${target.config}.driftwarden.prev)`);
      } catch (err) {
        return { kind: 'failed', stage: 'write', reason: errorMessage(err), steps };
      }
      await faultPoint('after-write');
    } else steps.push('write: not needed (the file is approved; the running process is not)');
    const reloaded = await reload(target, before, ctx);
    const verified = reloaded.ok ? await verify(target, approved, ctx) : reloaded;
    if (!verified.ok) return rollback(target, previous, reloaded.ok ? 'verify' : 'reload', verified.reason, steps, ctx);
    steps.push(`reload: ok${reloaded.ok && reloaded.note ? ` (${reloaded.note})` : ''}`, `verify: ok${verified.note ? ` (${verified.note})` : ''}`);
  }
  const runtime = await restoreRuntime(target, approved);
  if (!runtime.ok) return { kind: 'failed', stage: 'verify', reason: runtime.reason, steps };
  if (runtime.note) steps.push(`runtime: ${runtime.note}`);
  return { kind: 'applied', steps };
}

async function procState(target: Target) {
  if (!target.masterSocket) return undefined;
  return parseShowProc(await runtimeCommand(target.masterSocket, 'show proc').catch(() => ''));
}

async function reload(target: Target, before: Awaited<ReturnType<typeof procState>>, ctx: ProviderContext): Promise<Step> {
  try {
    if (target.masterSocket) {
      if (!before) return { ok: false, reason: `cannot read the reload count on the master socket ${target.masterSocket} (show proc); not reloading blind` };
      await runtimeCommand(target.masterSocket, 'reload');
      const deadline = Date.now() + target.verifyTimeoutMs;
      while (Date.now() < deadline && !ctx.signal.aborted) {
        const now = await procState(target);
        if (now && now.failed > before.failed) return { ok: false, reason: `HAProxy refused to reload (failed reloads ${before.failed} -> ${now.failed})` };
        if (now && now.reloads > before.reloads) return { ok: true, note: `master reload #${now.reloads}` };
        await sleep(100);
      }
      return { ok: false, reason: `no reload seen on the master socket within ${target.verifyTimeoutMs} ms` };
    }
    if (target.reload) {
      const r = await runShell(target.reload, { timeoutMs: target.verifyTimeoutMs });
      if (r.timedOut) return { ok: false, reason: `reload command did not finish within ${target.verifyTimeoutMs} ms` };
      return r.code === 0 ? { ok: true, note: 'reload command' } : { ok: false, reason: `reload command exited ${r.code ?? 'abnormally'}: ${r.stderr.trim().split('\n').pop() ?? ''}` };
    }
    if (target.pidFile) {
      const pid = Number(readFileSync(target.pidFile, 'utf8').trim().split(/\s+/)[0]);
      // 0 or 1 would signal our own process group or init: never.
      if (!Number.isInteger(pid) || pid <= 1) return { ok: false, reason: `pid file ${target.pidFile} holds no usable pid` };
      process.kill(pid, 'SIGUSR2');
      await sleep(500);
      return { ok: true, note: `SIGUSR2 to ${pid}` };
    }
    return { ok: false, reason: 'no way to reload: set masterSocket, reload or pidFile on the target' };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/** Polls the Runtime API until the running process has the config's backends, servers, weights and algorithms. */
async function verify(target: Target, text: string, ctx: ProviderContext): Promise<Step> {
  if (!target.runtimeApi) return { ok: true, note: 'no runtimeApi: trusted the reload' };
  const model = parseHaproxy(text, target.config).root;
  const deadline = Date.now() + target.verifyTimeoutMs;
  let last: Finding[] = [];
  let lastError = '';
  while (Date.now() < deadline && !ctx.signal.aborted) {
    try {
      const { stat, servers } = await readRunningState(target.runtimeApi);
      last = runningFindings(model, { stat, servers }).filter((f) => f.scope === 'process');
      if (last.length === 0) return { ok: true, note: 'Runtime API shows the approved backends, servers and algorithms' };
    } catch (err) {
      lastError = errorMessage(err);
    }
    await sleep(150);
  }
  const what = last.length > 0 ? last.map((f) => `${f.path} ${f.kind}`).slice(0, 3).join(', ') : lastError;
  return { ok: false, reason: `the running process does not match after ${target.verifyTimeoutMs} ms: ${what}` };
}

async function rollback(target: Target, previous: string, stage: 'reload' | 'verify', reason: string, steps: string[], ctx: ProviderContext): Promise<ApplyOutcome> {
  steps.push(`${stage}: failed: ${reason}`);
  try {
    const before = await procState(target);
    writeFileAtomic(target.config, previous);
    const reloaded = await reload(target, before, ctx);
    const verified = reloaded.ok ? await verify(target, previous, ctx) : reloaded;
    if (!verified.ok) return { kind: 'failed', stage: 'rollback', reason: `${reason}; rollback also failed: ${verified.reason}`, steps };
    steps.push('rollback: previous config restored, reloaded and verified');
    return { kind: 'rolled-back', stage, reason, steps };
  } catch (err) {
    return { kind: 'failed', stage: 'rollback', reason: `${reason}; rollback also failed: ${errorMessage(err)}`, steps };
  }
}

async function processFindings(target: Target, text: string): Promise<Finding[]> {
  if (!target.runtimeApi) return [];
  try {
    const running = await readRunningState(target.runtimeApi);
    return runningFindings(parseHaproxy(text, target.config).root, running).filter((f) => f.scope === 'process');
  } catch {
    return [];
  }
}

/** Puts runtime-only changes (weights, maintenance, drain) back to what the config says. */
async function restoreRuntime(target: Target, text: string): Promise<Step> {
  if (!target.runtimeApi) return { ok: true };
  try {
    const { stat, servers } = await readRunningState(target.runtimeApi);
    const fixes = runningFindings(parseHaproxy(text, target.config).root, { stat, servers }).filter((f) => f.scope === 'runtime' && f.kind === 'changed');
    const done: string[] = [];
    for (const f of fixes) {
      const [, backend, , server, field] = splitPath(f.path);
      if (!backend || !server) continue;
      const command = field === 'weight' ? `set server ${backend}/${server} weight ${String(f.approved)}` : `set server ${backend}/${server} state ready`;
      await runtimeCommand(target.runtimeApi, command);
      done.push(command);
    }
    return { ok: true, ...(done.length ? { note: done.join('; ') } : {}) };
  } catch (err) {
    return { ok: false, reason: `restoring runtime state failed: ${errorMessage(err)}` };
  }
}
