import { describe, expect, it } from 'vitest';
import { fileProvider } from '../../src/providers/file/index.js';
import type { Provider } from '../../src/providers/provider.js';
import { APPROVED, DRIFTED } from '../helpers/fixture.js';

// The worker runs the built JavaScript (`npm test` builds first): load the parser from dist/.
const built = '../../dist/parse/off-thread.js';
const { OffThreadParser } = (await import(built)) as typeof import('../../src/parse/off-thread.js');

/** The file provider as the worker knows it; here, parsing is an error: what it gives came from the worker. */
const workerOnly: Provider = {
  ...(fileProvider as Provider),
  parse: () => {
    throw new Error('parsed on the main thread');
  },
};

const target = { name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', mode: 'alert' as const, ignore: [], path: '/live/edge.yaml' };

describe('parsing on a worker thread', () => {
  it('gives the trees the provider gives on this thread, line numbers included', async () => {
    expect(OffThreadParser.available).toBe(true);
    const parser = new OffThreadParser({ minChars: 0 });
    expect(await parser.ready()).toBe(true);
    try {
      for (const text of [APPROVED, DRIFTED, '{"a": [1, 2, {"b": null}]}\n']) {
        const here = await fileProvider.parse(text, 'lb/edge.yaml@0123', target);
        const there = await parser.parse(workerOnly, text, 'lb/edge.yaml@0123', target);
        expect(there).toEqual(here);
        expect(there.lines).toBeInstanceOf(Map);
        expect([...there.lines]).toEqual([...here.lines]);
      }
    } finally {
      parser.close();
    }
  });

  it('reports a config that does not parse as the same ParseError, with its line', async () => {
    const parser = new OffThreadParser({ minChars: 0 });
    await parser.ready();
    const bad = 'backends:\n  api:\n    algorithm: [roundrobin\n';
    let here: unknown;
    try {
      fileProvider.parse(bad, '/live/edge.yaml', target);
    } catch (err) {
      here = err;
    }
    try {
      const err = await parser.parse(workerOnly, bad, '/live/edge.yaml', target).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ name: 'ParseError', message: (here as Error).message, line: (here as { line: number }).line });
      expect((here as Error).message).toMatch(/^\/live\/edge\.yaml:\d+: /);
    } finally {
      parser.close();
    }
  });

  it('parses here what the worker cannot (a provider it does not know), and goes on after close', async () => {
    const parser = new OffThreadParser({ minChars: 0 });
    await parser.ready();
    const local: Provider = { ...(fileProvider as Provider), kind: 'only-here' };
    try {
      expect((await parser.parse(local, APPROVED, 'lb/edge.yaml', target)).root).toEqual((await fileProvider.parse(APPROVED, 'lb/edge.yaml', target)).root);
      parser.close();
      expect((await parser.parse(fileProvider as Provider, DRIFTED, 'lb/edge.yaml', target)).root).toEqual((await fileProvider.parse(DRIFTED, 'lb/edge.yaml', target)).root);
    } finally {
      parser.close();
    }
  });

  it('parses small texts here, and big ones here until the worker is ready', async () => {
    const parser = new OffThreadParser();
    const big = `${APPROVED}${'# padding to make the text big\n'.repeat(2_000)}`;
    try {
      // Small: parsed here, and no worker is started for it.
      expect((await parser.parse(fileProvider as Provider, APPROVED, 'lb/edge.yaml', target)).root).toEqual((await fileProvider.parse(APPROVED, 'lb/edge.yaml', target)).root);
      // Big, before the worker is ready: parsed here too (starting the worker).
      const early = await parser.parse(fileProvider as Provider, big, 'lb/edge.yaml', target);
      expect(early.root).toEqual((await fileProvider.parse(APPROVED, 'lb/edge.yaml', target)).root);
      expect(await parser.ready()).toBe(true);
      // Ready: a big text goes to the worker (workerOnly throws if parsed here); a small one does not.
      expect((await parser.parse(workerOnly, big, 'lb/edge.yaml', target)).root).toEqual(early.root);
      await expect(parser.parse(workerOnly, APPROVED, 'lb/edge.yaml', target)).rejects.toThrow('parsed on the main thread');
    } finally {
      parser.close();
    }
  });
});
