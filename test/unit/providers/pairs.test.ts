import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../../src/diff/severity.js';
import type { ConfigTree } from '../../../src/diff/tree.js';
import { caddyProvider } from '../../../src/providers/caddy/index.js';
import { parseHaproxy } from '../../../src/providers/haproxy/model.js';
import { parseNginxModel } from '../../../src/providers/nginx/model.js';
import { compareConfigs } from '../../../src/reconcile/compare.js';
import { which } from '../../helpers/lb/ports.js';

const PAIRS = join(import.meta.dirname, '..', '..', 'fixtures', 'pairs');
const EXPECTED = readFileSync(join(PAIRS, 'EXPECTED.md'), 'utf8');
const caddyTarget = { name: 't', desired: 'x', provider: 'caddy', mode: 'alert' as const, ignore: [], adminApi: 'http://127.0.0.1:1', binary: 'caddy', timeoutMs: 1000 };

/** `| \`name.{approved,live}.ext\` | description | severity |` rows, per format section. */
function expectations(): { format: string; name: string; ext: string; severity: string; description: string }[] {
  const out: { format: string; name: string; ext: string; severity: string; description: string }[] = [];
  let format = '';
  for (const line of EXPECTED.split('\n')) {
    const section = /^## (\w+)\//.exec(line);
    if (section) format = section[1] as string;
    const row = /^\| `([\w-]+)\.\{approved,live\}(\.\w+)` \| (.+) \| (\w+) \|$/.exec(line);
    if (row && format) out.push({ format, name: row[1] as string, ext: row[2] as string, description: row[3] as string, severity: row[4] as string });
  }
  return out;
}

async function parse(format: string, file: string): Promise<ConfigTree> {
  const text = readFileSync(file, 'utf8');
  if (format === 'haproxy') return parseHaproxy(text, file);
  if (format === 'nginx') return parseNginxModel(text, file);
  return caddyProvider.parse(text, file, caddyTarget);
}

const rows = expectations();

describe('semantic diff of the approved/live pairs (test/fixtures/pairs/EXPECTED.md)', () => {
  it('covers every pair file in the folder', () => {
    const listed = new Set(rows.flatMap((r) => [`${r.format}/${r.name}.approved${r.ext}`, `${r.format}/${r.name}.live${r.ext}`]));
    const files = ['haproxy', 'nginx', 'caddy'].flatMap((f) => readdirSync(join(PAIRS, f)).map((n) => `${f}/${n}`));
    expect(files.filter((f) => !listed.has(f))).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  for (const row of rows) {
    const needsCaddy = row.ext === '.Caddyfile';
    it.skipIf(needsCaddy && !which('caddy'))(`${row.format}/${row.name}: ${row.severity} (${row.description})`, async () => {
      const approved = await parse(row.format, join(PAIRS, row.format, `${row.name}.approved${row.ext}`));
      const live = await parse(row.format, join(PAIRS, row.format, `${row.name}.live${row.ext}`));
      const result = compareConfigs(approved, live, { rules: DEFAULT_SEVERITY_RULES, ignore: [], redactor: new Redactor(Buffer.alloc(32)) });
      const summaries = result.changes.map((c) => `${c.severity} ${c.summary}`);
      expect(result.severity ?? 'none', summaries.join('\n')).toBe(row.severity);
      if (row.severity === 'none') expect(result.inSync).toBe(true);
    });
  }
});

it('the pairs folder exists', () => expect(existsSync(PAIRS)).toBe(true));
