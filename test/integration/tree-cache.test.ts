import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TreeCache } from '../../src/cache/tree-cache.js';
import type { TreeObject } from '../../src/diff/tree.js';
import { fileProvider } from '../../src/providers/file/index.js';
import type { Provider } from '../../src/providers/provider.js';
import { cli } from '../helpers/cli.js';
import { APPROVED, DRIFTED, setup } from '../helpers/fixture.js';
import { tempDir } from '../helpers/tmp.js';

/** Texts under 16 KiB are parsed again rather than kept: these are padded past it (with a comment). */
const PAD = `${'# padding that makes the text big enough to keep its tree\n'.repeat(300)}`;
const big = (text: string): string => `${text}${PAD}`;
/** The file provider, as if its parse were costly (as Caddy's is): small texts are kept too. */
const costly = { ...fileProvider, costlyParse: true } as unknown as Provider;
const entries = (dir: string) => (existsSync(join(dir, '.driftwarden', 'cache', 'trees')) ? readdirSync(join(dir, '.driftwarden', 'cache', 'trees')) : []);
const drift = (json: { targets: { changes: unknown; fingerprint: string; severity: string }[] }) => json.targets.map((t) => ({ changes: t.changes, fingerprint: t.fingerprint, severity: t.severity }));

describe('parsed trees of drifted texts, kept between passes', () => {
  afterEach(() => {
    delete process.env.DRIFTWARDEN_NO_CACHE;
  });

  it('a drifted target is reported the same from the cache, whose entries only the owner can read', async () => {
    const s = setup({ approved: big(APPROVED), live: big(DRIFTED) });
    const first = await cli('--config', s.config, 'check', '--json');
    expect(first.code).toBe(2);
    const names = entries(s.dir);
    expect(names).toHaveLength(2); // the approved and the live side
    const folder = join(s.dir, '.driftwarden', 'cache', 'trees');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const n of names) expect(statSync(join(folder, n)).mode & 0o777).toBe(0o600);
    const again = await cli('--config', s.config, 'check', '--json');
    expect(again.code).toBe(2);
    expect(drift(again.json())).toEqual(drift(first.json()));
    expect(drift(first.json())[0]?.changes).toHaveLength(2);
  });

  it('a damaged entry is ignored and written again', async () => {
    const s = setup({ approved: big(APPROVED), live: big(DRIFTED) });
    const first = await cli('--config', s.config, 'check', '--json');
    const folder = join(s.dir, '.driftwarden', 'cache', 'trees');
    for (const n of entries(s.dir)) writeFileSync(join(folder, n), '{"format": "yaml", "root": ');
    const again = await cli('--config', s.config, 'check', '--json');
    expect(drift(again.json())).toEqual(drift(first.json()));
    for (const n of entries(s.dir)) expect(readFileSync(join(folder, n), 'utf8')).not.toContain('"format": "yaml"');
  });

  it('keeps no config value in the clear, and a forged entry cannot hide a drift', async () => {
    const s = setup({ approved: big(APPROVED), live: big(DRIFTED) });
    await cli('--config', s.config, 'check');
    const folder = join(s.dir, '.driftwarden', 'cache', 'trees');
    const names = entries(s.dir);
    const bytes = names.map((n) => readFileSync(join(folder, n)));
    for (const b of bytes) for (const value of ['roundrobin', 'random', 'api-1', '10.0.0.2']) expect(b.includes(value), value).toBe(false);
    // Whichever entry is the live side's, make it a copy of the other (the approved tree):
    // a copied entry does not open under another name, so the drift is still found.
    for (const [i, n] of names.entries()) writeFileSync(join(folder, n), bytes[1 - i] as Buffer);
    const run = await cli('--config', s.config, 'check');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('backends.api.algorithm: roundrobin -> random');
  });

  it('a changed live file is parsed anew, not taken from the cache', async () => {
    const s = setup({ approved: big(APPROVED), live: big(DRIFTED) });
    await cli('--config', s.config, 'check');
    s.writeLive(big(DRIFTED.replace('weight: 50', 'weight: 70')));
    const run = await cli('--config', s.config, 'check');
    expect(run.stdout).toContain('backends.api.servers.api-2.weight: 10 -> 70');
    s.writeLive(big(APPROVED));
    expect((await cli('--config', s.config, 'check')).code).toBe(0);
  });

  it('DRIFTWARDEN_NO_CACHE=1 keeps nothing', async () => {
    process.env.DRIFTWARDEN_NO_CACHE = '1';
    const s = setup({ approved: big(APPROVED), live: big(DRIFTED) });
    expect((await cli('--config', s.config, 'check')).code).toBe(2);
    expect(entries(s.dir)).toEqual([]);
  });

  it('a tree that JSON cannot hold exactly (an infinite number, a -0, a line index that is not a plain Map) is not kept', async () => {
    const state = tempDir();
    const cache = TreeCache.open(state, Buffer.alloc(32, 1));
    const target = { name: 't', desired: 'lb/t.cfg', provider: 'odd', mode: 'alert' as const, ignore: [] };
    class Lines extends Map<string, number> {}
    const roots: TreeObject[] = [{ rate: Infinity }, { zero: -0 }, { ok: 1 }];
    const odd: Provider = {
      kind: 'odd',
      options: () => ({}),
      costlyParse: true,
      observe: async () => ({ text: '', origin: '', facts: {} }),
      parse: (text) => {
        const i = Number(text);
        return { format: 'odd', root: roots[i % 3] as TreeObject, normalized: text, canonical: text, lines: i === 3 ? new Lines() : new Map() };
      },
    };
    for (const text of ['0', '1', '3']) {
      for (let i = 0; i < 2; i++) expect((await cache.parse(odd, text, 'o', target)).root).toEqual(roots[Number(text) % 3]);
    }
    expect(Object.is(((await cache.parse(odd, '1', 'o', target)).root as TreeObject).zero, -0)).toBe(true);
    expect(existsSync(join(state, 'cache', 'trees'))).toBe(false);
    await cache.parse(odd, '2', 'o', target);
    expect(readdirSync(join(state, 'cache', 'trees'))).toHaveLength(1);
  });

  it('keeps no tree of a small text (parsing it again costs what reading it back would), and still reports its drift', async () => {
    const s = setup({ live: DRIFTED });
    for (let i = 0; i < 2; i++) {
      const run = await cli('--config', s.config, 'check');
      expect(run.code).toBe(2);
      expect(run.stdout).toContain('backends.api.algorithm: roundrobin -> random');
    }
    expect(entries(s.dir)).toEqual([]);
  });

  it('sweep keeps the most recently used entries', async () => {
    const state = tempDir();
    const cache = TreeCache.open(state, Buffer.alloc(32, 1));
    const target = { name: 't', desired: 'lb/t.yaml', provider: 'file', mode: 'alert' as const, ignore: [], path: '/x/t.yaml' };
    for (let i = 0; i < 5; i++) await cache.parse(costly, `n: ${i}\n`, 'lb/t.yaml', target);
    const folder = join(state, 'cache', 'trees');
    const files = readdirSync(folder);
    expect(files).toHaveLength(5);
    // Used long ago, except the entry for `n: 4`, read again just now.
    for (const f of files) utimesSync(join(folder, f), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(await cache.parse(costly, 'n: 4\n', 'lb/t.yaml', target)).toMatchObject({ root: { n: 4 } });
    cache.sweep(1);
    const kept = readdirSync(folder);
    expect(kept).toHaveLength(1);
    // The kept entry is the one for `n: 4`: it is still a hit (the provider is not asked again).
    const asked: string[] = [];
    const counting = { ...fileProvider, costlyParse: true, parse: (text: string, origin: string, t: never) => (asked.push(text), fileProvider.parse(text, origin, t)) } as unknown as Provider;
    await cache.parse(counting, 'n: 4\n', 'lb/t.yaml', target);
    await cache.parse(counting, 'n: 3\n', 'lb/t.yaml', target);
    expect(asked).toEqual(['n: 3\n']);
  });

  it('sweep also keeps the entries within a byte budget, and removes writes a crash left behind', async () => {
    const state = tempDir();
    const cache = TreeCache.open(state, Buffer.alloc(32, 1));
    const target = { name: 't', desired: 'lb/t.yaml', provider: 'file', mode: 'alert' as const, ignore: [], path: '/x/t.yaml' };
    const folder = join(state, 'cache', 'trees');
    for (let i = 0; i < 4; i++) {
      await cache.parse(costly, `n: ${i}\nlong: ${'x'.repeat(1000)}\n`, 'lb/t.yaml', target);
      // Oldest first: entry i was last used i minutes after 2000-01-01.
      const newest = readdirSync(folder).map((f) => ({ f, t: statSync(join(folder, f)).mtimeMs })).sort((a, b) => b.t - a.t)[0] as { f: string };
      utimesSync(join(folder, newest.f), new Date(2000, 0, 1, 0, i), new Date(2000, 0, 1, 0, i));
    }
    writeFileSync(join(folder, 'abc.tree.123.tmp'), 'half');
    utimesSync(join(folder, 'abc.tree.123.tmp'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    writeFileSync(join(folder, 'def.tree.456.tmp'), 'being written now');
    const sizes = readdirSync(folder).filter((f) => f.endsWith('.tree')).map((f) => statSync(join(folder, f)).size);
    const one = Math.max(...sizes);
    await cache.parse(costly, 'n: 9\n', 'lb/t.yaml', target); // a write: the next sweep runs
    cache.sweep(100, 2 * one + 200);
    const left = readdirSync(folder).sort();
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual(['def.tree.456.tmp']);
    // The budget holds two of the big entries and the small new one: the two oldest went.
    const asked: string[] = [];
    const counting = { ...fileProvider, costlyParse: true, parse: (text: string, origin: string, t: never) => (asked.push(text.slice(0, 4)), fileProvider.parse(text, origin, t)) } as unknown as Provider;
    for (const i of [0, 1, 2, 3]) await cache.parse(counting, `n: ${i}\nlong: ${'x'.repeat(1000)}\n`, 'lb/t.yaml', target);
    expect(asked).toEqual(['n: 0', 'n: 1']);
  });
});
