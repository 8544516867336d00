import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ValidationMessage, ValidationResult } from '../provider.js';
import { missingBinaryMessage, run, type ExecResult } from '../shared/exec.js';

export interface NginxRunOptions {
  config: string;
  prefix?: string;
  errorLog?: string;
  binary: string;
}

/** `nginx <flags> -c <config> [-p prefix] [-e errorLog]`. */
export function nginx(o: NginxRunOptions, flags: string[], config = o.config): Promise<ExecResult> {
  const args = [...flags, '-c', config, ...(o.prefix ? ['-p', o.prefix] : []), ...(o.errorLog ? ['-e', o.errorLog] : [])];
  return run(o.binary, args, { timeoutMs: 30_000, cwd: dirname(o.config) });
}

/** `nginx: [emerg] unknown directive "x" in /path/file:12` -> line 12 (when in `file`), path replaced by origin. */
export function parseNginxMessages(output: string, file: string, origin: string): ValidationMessage[] {
  const out: ValidationMessage[] = [];
  for (const raw of output.split('\n')) {
    const m = /^nginx: \[(emerg|alert|crit|error|warn)\] (.*)$/.exec(raw.trim());
    if (!m) continue;
    const text = (m[2] ?? '').split(file).join(origin);
    const line = new RegExp(`in ${escape(origin)}:(\\d+)$`).exec(text);
    out.push({ ...(line ? { line: Number(line[1]) } : {}), message: `[${m[1]}] ${text}` });
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `nginx -t` on a candidate text, written beside the live config (so relative includes resolve
 * as they will when live) under a hidden name, and removed afterwards.
 */
export async function validateNginx(text: string, o: NginxRunOptions, origin: string): Promise<ValidationResult> {
  const file = join(dirname(o.config), `.${basename(o.config)}.driftwarden-check-${process.pid}`);
  try {
    writeFileSync(file, text);
    const r = await nginx(o, ['-t', '-q'], file);
    if (r.spawnError) return { ok: false, messages: [{ message: missingBinaryMessage(o.binary, 'binary') }] };
    const messages = parseNginxMessages(r.stderr, file, origin);
    if (r.code === 0) return { ok: true, warnings: messages };
    const errors = messages.filter((m) => !m.message.startsWith('[warn]'));
    return { ok: false, messages: errors.length > 0 ? errors : [{ message: `nginx -t exited ${r.code ?? 'abnormally'}` }] };
  } finally {
    rmSync(file, { force: true });
  }
}
