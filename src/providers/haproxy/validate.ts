import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ValidationMessage, ValidationResult } from '../provider.js';
import { missingBinaryMessage, run } from '../shared/exec.js';

/**
 * `haproxy -c -f` on a candidate text (exit 0 valid, 2 valid without listeners, 1 invalid),
 * run from the live config's folder so that relative paths resolve as they will when live.
 */
export async function validateHaproxy(text: string, binary: string, liveConfig: string, origin: string): Promise<ValidationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-haproxy-check-'));
  const file = join(dir, 'haproxy.cfg');
  try {
    writeFileSync(file, text);
    const r = await run(binary, ['-c', '-f', file], { cwd: dirname(liveConfig), timeoutMs: 30_000 });
    if (r.spawnError) return { ok: false, messages: [{ message: missingBinaryMessage(binary, 'binary') }] };
    const messages = parseHaproxyMessages(`${r.stdout}\n${r.stderr}`, file, origin);
    if (r.code === 0 || r.code === 2) return { ok: true, warnings: messages.filter((m) => m.message.startsWith('[WARNING]')) };
    const alerts = messages.filter((m) => m.message.startsWith('[ALERT]'));
    return { ok: false, messages: alerts.length > 0 ? alerts : [{ message: `haproxy -c exited ${r.code ?? 'abnormally'}${r.timedOut ? ' (timed out)' : ''}` }] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `[ALERT]    (123) : config : parsing [/tmp/x/haproxy.cfg:12] : ...` -> line 12, path replaced by origin. */
export function parseHaproxyMessages(output: string, file: string, origin: string): ValidationMessage[] {
  const out: ValidationMessage[] = [];
  for (const raw of output.split('\n')) {
    const m = /^\[(ALERT|WARNING|NOTICE)\]\s*(?:\(\d+\))?\s*:\s*(.*)$/.exec(raw.trim());
    if (!m || m[1] === 'NOTICE') continue;
    const text = (m[2] ?? '').split(file).join(origin);
    const line = /\[[^\]]*?:(\d+)\]/.exec(text);
    out.push({ ...(line ? { line: Number(line[1]) } : {}), message: `[${m[1]}] ${text}` });
  }
  return out;
}
