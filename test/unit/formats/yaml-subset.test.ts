import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStructured, parseWithLibrary } from '../../../src/formats/structured.js';
import { parseYamlSubset } from '../../../src/formats/yaml-subset.js';
import { rng } from '../../helpers/rng.js';

/**
 * The subset parser must give exactly what the `yaml` library gives (tree, key order, the line
 * of every path) or nothing at all: an input it accepts that the library rejects, or reads
 * differently, is a bug. Every case below is checked against the library itself.
 */
function agree(text: string): 'fast' | 'library' {
  const fast = parseYamlSubset(text);
  let reference: ReturnType<typeof parseWithLibrary> | undefined;
  let error: unknown;
  try {
    reference = parseWithLibrary(text, 'x.yaml', 'yaml');
  } catch (err) {
    error = err;
  }
  if (fast === undefined) return 'library';
  if (!reference) throw new Error(`the subset accepted what the library rejects (${String(error)}):\n${text}`);
  // JSON.stringify keeps key order; both trees are plain data.
  expect(JSON.stringify(fast.root), text).toBe(JSON.stringify(reference.root));
  expect(Object.is(fast.root, reference.root) || typeof fast.root === typeof reference.root).toBe(true);
  expect([...fast.lines].sort(byKey), text).toEqual([...reference.lines].sort(byKey));
  return 'fast';
}
const byKey = (a: [string, number], b: [string, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

const KEYS = ['name', 'address', 'weight', 'a', 'b-c', 'x.y', 'a[0]', '__proto__', 'constructor', '"quoted"', "'single'", '1', '0x1f', 'true', '~', 'null', '<<', '-dash', '?q', ':c', 'a b', 'a #b', 'a#b', 'é', '10.0.0.1:80', 'k:v', '', ' '];
const SCALARS = [
  'roundrobin', '5s', '/healthz', '10.1.2.3:8080', '0.0.0.0:8000', 'a b  c', 'a#b', 'a #comment', '# only comment', 'http://x/y',
  '1', '-1', '+1', '007', '0o17', '0o8', '0x1F', '0xg', '1.5', '1.', '.5', '-.5', '1e3', '1E-3', '1_000', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'NaN', 'Infinity',
  'true', 'True', 'TRUE', 'tRue', 'yes', 'no', 'on', 'off', 'null', 'Null', 'NULL', '~', '',
  "'single'", "'it''s'", "''", "'a #b'", "'unclosed", '"double"', '"with \\" escape"', '"a #b"', '""', '"unclosed', '"a" b', "'a'#b", '"a" # c',
  '[a, b]', '{a: 1}', '&anchor v', '*alias', '!tag v', '!!str 1', '|', '>', '|-', '%x', '@x', '`x`', '- a', '-', '?', ':', '-x', '?x', ':x', 'a: b', 'a:', 'a:b', 'é ü', '\u2028', 'a\tb', '12345678901234567890', '-0', '0',
];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

/** A random document: mostly what configs look like, with every odd thing now and then. */
function document(r: () => number): string {
  const out: string[] = [];
  const odd = r() < 0.5; // half the documents stay in the common shapes
  const key = (): string => (odd && r() < 0.15 ? pick(r, KEYS) : `k${Math.floor(r() * 6)}`);
  const scalar = (): string => (odd && r() < 0.4 ? pick(r, SCALARS) : pick(r, SCALARS.slice(0, 12)));
  const comment = (indent: number): void => {
    if (r() < 0.08) out.push(`${' '.repeat(Math.max(0, indent + Math.floor(r() * 5) - 2))}# note`);
    if (r() < 0.05) out.push(r() < 0.5 ? '' : '   ');
  };
  const step = (): number => (odd && r() < 0.05 ? 1 + Math.floor(r() * 3) : 2);
  const block = (indent: number, depth: number): void => {
    const asList = r() < 0.3;
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      comment(indent);
      const pad = ' '.repeat(odd && r() < 0.03 ? Math.max(0, indent + (r() < 0.5 ? 1 : -1)) : indent);
      if (asList) {
        if (depth < 4 && r() < 0.5) {
          // - key: value, then the item's other keys under it
          out.push(`${pad}- ${key()}: ${scalar()}`);
          const more = Math.floor(r() * 3);
          for (let j = 0; j < more; j++) {
            if (depth < 3 && r() < 0.2) {
              out.push(`${pad}  ${key()}:`);
              block(indent + 2 + (r() < 0.5 ? 0 : 2), depth + 2);
            } else out.push(`${pad}  ${key()}: ${scalar()}`);
          }
        } else out.push(`${pad}- ${scalar()}`);
      } else if (depth < 4 && r() < 0.35) {
        out.push(`${pad}${key()}:${r() < 0.1 ? ' # c' : ''}`);
        // Nested: deeper, or a list at the key's own indentation.
        block(r() < 0.2 ? indent : indent + step(), depth + 1);
      } else out.push(`${pad}${key()}:${r() < 0.1 ? '' : ` ${scalar()}`}${r() < 0.05 ? '  # trailing' : ''}`);
    }
  };
  if (odd && r() < 0.05) out.push(pick(r, ['---', '%YAML 1.2', '...', '\ufeff# bom']));
  block(odd && r() < 0.05 ? 2 : 0, 0);
  let text = out.join(r() < 0.03 ? '\r\n' : '\n') + (r() < 0.9 ? '\n' : '');
  // Now and then a small mutation: a character dropped, doubled or replaced.
  if (odd && r() < 0.3 && text.length > 0) {
    const at = Math.floor(r() * text.length);
    const c = pick(r, [':', ' ', '-', '#', '"', "'", '\t', '\n', '[', '&', 'x']);
    const kind = r();
    text = kind < 0.33 ? text.slice(0, at) + text.slice(at + 1) : kind < 0.66 ? text.slice(0, at) + c + text.slice(at) : text.slice(0, at) + c + text.slice(at + 1);
  }
  return text;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

describe('YAML subset parser', () => {
  it('reads config-shaped YAML itself, with the lines the library gives', () => {
    const text = [
      '# service 7',
      'backends:',
      '  api:',
      '    algorithm: random   # was roundrobin',
      '    timeout: 5s',
      '    servers:',
      '      - name: s0',
      '        address: 10.7.0.1:8080',
      '        weight: 10',
      '      - name: s1',
      "        address: '10.7.0.2:8080'",
      '        backup: true',
      '    tags:',
      '    - blue',
      '    - "green #1"',
      '    empty:',
      'version: 1.5',
      '',
    ].join('\n');
    expect(agree(text)).toBe('fast');
    const tree = parseStructured(text, 'x.yaml', 'yaml');
    expect(tree.root).toEqual({
      backends: { api: { algorithm: 'random', timeout: '5s', servers: [{ name: 's0', address: '10.7.0.1:8080', weight: 10 }, { name: 's1', address: '10.7.0.2:8080', backup: true }], tags: ['blue', 'green #1'], empty: null } },
      version: 1.5,
    });
    expect(tree.lines.get('backends.api.algorithm')).toBe(4);
    expect(tree.lines.get('backends.api.servers.s1')).toBe(10);
    expect(tree.lines.get('backends.api.servers.s1.backup')).toBe(12);
    expect(tree.lines.get('backends.api.tags[1]')).toBe(15);
  });

  it('leaves to the library what it does not read (and the library reports the errors, with lines)', () => {
    for (const text of ['a: [1, 2]\n', 'a: &x 1\nb: *x\n', 'a: |\n  text\n', 'a: "esc\\n"\n', 'a: 1\na: 2\n', '1: x\n', 'a:\n\tb: 1\n', '---\na: 1\n', 'a: b\n  c\n', '"q": 1\n', 'a: b: c\n']) {
      expect(parseYamlSubset(text), text).toBeUndefined();
      agree(text);
    }
    expect(() => parseStructured('a: 1\nb: 2\na: 3\n', 'f.yaml', 'yaml')).toThrow(/f\.yaml:3: invalid YAML/);
  });

  it('agrees with the library on every YAML file in the repository and the corpus', () => {
    const files = [...yamlFiles(process.cwd()), ...yamlFiles(join(process.cwd(), '..', 'shared'))];
    expect(files.length).toBeGreaterThan(5);
    let fast = 0;
    for (const file of files) if (agree(readFileSync(file, 'utf8')) === 'fast') fast++;
    expect(fast).toBeGreaterThan(0);
  });

  it('agrees with the library on 10,000 generated and mutated documents (seeded; SUBSET_SEED picks another seed)', () => {
    const r = rng(Number(process.env.SUBSET_SEED ?? 20261127));
    const seen = { fast: 0, library: 0 };
    for (let i = 0; i < 10_000; i++) seen[agree(document(r))]++;
    // Both paths are exercised: the common shapes are read here, the odd ones by the library.
    expect(seen.fast).toBeGreaterThan(2_500);
    expect(seen.library).toBeGreaterThan(2_500);
  });
});
