import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError } from '../../errors.js';
import type { ValidationMessage, ValidationResult } from '../provider.js';
import { missingBinaryMessage, run } from '../shared/exec.js';

/** Runs `caddy` with its own HOME/XDG folders, so checks never touch the service's storage. */
async function caddy(binary: string, args: (file: string) => string[], text: string, ext: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dw-caddy-'));
  const file = join(dir, `config${ext}`);
  try {
    mkdirSync(join(dir, 'home'));
    writeFileSync(file, text);
    const env = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'home'), XDG_DATA_HOME: join(dir, 'home') };
    return { file, result: await run(binary, args(file), { env, cwd: dir, timeoutMs: 30_000 }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `caddy adapt` a Caddyfile to JSON; errors become ParseError with the Caddyfile's line. */
export async function adaptCaddyfile(text: string, origin: string, binary: string): Promise<string> {
  const { file, result } = await caddy(binary, (f) => ['adapt', '--config', f, '--adapter', 'caddyfile'], text, '');
  if (result.spawnError) throw new ParseError(origin, undefined, missingBinaryMessage(binary, 'binary'));
  if (result.code !== 0) {
    const message = messagesOf(result.stderr, file, origin)[0];
    throw new ParseError(origin, message?.line, message?.message ?? `caddy adapt exited ${result.code}`);
  }
  return result.stdout;
}

/** `caddy validate` on JSON (provisions every module: the closest check short of loading it). */
export async function validateCaddy(json: string, origin: string, binary: string): Promise<ValidationResult> {
  const { file, result } = await caddy(binary, (f) => ['validate', '--config', f], json, '.json');
  if (result.spawnError) return { ok: false, messages: [{ message: missingBinaryMessage(binary, 'binary') }] };
  if (result.code === 0) return { ok: true, warnings: [] };
  const messages = messagesOf(result.stderr, file, origin);
  return { ok: false, messages: messages.length > 0 ? messages : [{ message: `caddy validate exited ${result.code}` }] };
}

/** `Error: ...` lines; `file:12` inside them gives the line. */
function messagesOf(stderr: string, file: string, origin: string): ValidationMessage[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('Error:'))
    .map((l) => {
      const text = l.slice(6).trim().split(file).join(origin);
      const line = new RegExp(`${origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(text);
      return { ...(line ? { line: Number(line[1]) } : {}), message: text };
    });
}
