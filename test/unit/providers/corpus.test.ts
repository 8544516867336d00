import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { caddyProvider } from '../../../src/providers/caddy/index.js';
import { parseHaproxy } from '../../../src/providers/haproxy/model.js';
import { parseNginxModel } from '../../../src/providers/nginx/model.js';
import { which } from '../../helpers/lb/ports.js';

const SHARED = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus');
const OWN = join(import.meta.dirname, '..', '..', 'fixtures', 'corpus');
const caddyTarget = { name: 't', desired: 'x', provider: 'caddy', mode: 'alert' as const, ignore: [], adminApi: 'http://127.0.0.1:1', binary: 'caddy', timeoutMs: 1000 };

type Outcome = { ok: true } | { ok: false; line: number | undefined; message: string };

async function outcome(parse: () => unknown): Promise<Outcome> {
  try {
    await parse();
    return { ok: true };
  } catch (err) {
    // Anything but a ParseError is a crash: the test fails with it.
    if (!(err instanceof ParseError)) throw err;
    return { ok: false, line: err.line, message: err.message };
  }
}

function files(dir: string, filter: (name: string) => boolean): string[] {
  return existsSync(dir) ? readdirSync(dir).filter(filter).sort() : [];
}

describe.skipIf(!existsSync(SHARED))('the shared real-world corpus (../shared/corpus): parse, or reject with a line', () => {
  const templates = /template/;
  for (const name of files(join(SHARED, 'haproxy'), (n) => n.endsWith('.cfg'))) {
    it(`haproxy/${name}`, async () => {
      const r = await outcome(() => parseHaproxy(readFileSync(join(SHARED, 'haproxy', name), 'utf8'), name));
      if (templates.test(name)) expect(r).toMatchObject({ ok: false, line: expect.any(Number), message: expect.stringMatching(/template syntax/) });
      else expect(r.ok || (r.line ?? 0) >= 1).toBe(true);
    });
  }
  for (const name of files(join(SHARED, 'nginx'), (n) => n.endsWith('.conf'))) {
    it(`nginx/${name}`, async () => {
      const r = await outcome(() => parseNginxModel(readFileSync(join(SHARED, 'nginx', name), 'utf8'), name));
      if (templates.test(name)) expect(r).toMatchObject({ ok: false, line: expect.any(Number) });
      else expect(r.ok || (r.line ?? 0) >= 1).toBe(true);
    });
  }
  for (const name of files(join(SHARED, 'caddy'), (n) => n.endsWith('Caddyfile'))) {
    it.skipIf(!which('caddy'))(`caddy/${name} (through caddy adapt)`, async () => {
      const r = await outcome(() => caddyProvider.parse(readFileSync(join(SHARED, 'caddy', name), 'utf8'), name, caddyTarget));
      expect(r.ok || (r.line ?? 0) >= 1, JSON.stringify(r)).toBe(true);
    });
  }
  it('names the corpus it read', () => {
    expect(files(join(SHARED, 'haproxy'), () => true).length).toBeGreaterThanOrEqual(20);
  });
});

describe('the project corpus (test/fixtures/corpus): valid files parse, NN-invalid-* files are rejected with a line', () => {
  const cases: [string, string, (text: string, name: string) => unknown][] = [
    ['haproxy', '.cfg', (t, n) => parseHaproxy(t, n)],
    ['nginx', '.conf', (t, n) => parseNginxModel(t, n)],
    ['caddy', '.json', (t, n) => caddyProvider.parse(t, n, caddyTarget)],
    ['caddy', 'Caddyfile', (t, n) => caddyProvider.parse(t, n, caddyTarget)],
  ];
  for (const [format, ext, parse] of cases) {
    const names = files(join(OWN, format), (n) => n.endsWith(ext));
    // The issue: at least 20 per format (Caddy's Caddyfiles are adapted to its JSON, and counted apart).
    it(`has at least ${ext === 'Caddyfile' ? 8 : 20} ${format} ${ext} files`, () => expect(names.length).toBeGreaterThanOrEqual(ext === 'Caddyfile' ? 8 : 20));
    for (const name of names) {
      const invalid = name.includes('-invalid-');
      // The native checker catches what a parser cannot know (bad durations, unknown values).
      const semanticOnly = name === '19-invalid-bad-duration.json' || name === '28-invalid-server-missing-address.conf';
      it.skipIf(ext === 'Caddyfile' && !which('caddy'))(`${format}/${name}`, async () => {
        const r = await outcome(() => parse(readFileSync(join(OWN, format, name), 'utf8'), name));
        if (invalid && !semanticOnly) expect(r, name).toMatchObject({ ok: false, line: expect.any(Number) });
        else if (!invalid) expect(r, JSON.stringify(r)).toEqual({ ok: true });
      });
    }
  }
});
