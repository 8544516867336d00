import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/tmp.js';

const GOOD = 'git:\n  repo: ./approved\ntargets:\n  - name: a\n    desired: a.yaml\n    provider: file\n    path: ./a.yaml\n';

describe('config parse cache', () => {
  let saved: string | undefined;
  let cache: string;
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME;
    cache = tempDir('dw-cache-');
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  it('gives the same config from the cache, and notices an edit (reported with its line)', () => {
    const dir = tempDir();
    const file = join(dir, 'driftwarden.yaml');
    writeFileSync(file, GOOD);
    const first = loadConfig(file);
    expect(readdirSync(join(cache, 'driftwarden'))).toHaveLength(1);
    expect(loadConfig(file)).toEqual(first);
    writeFileSync(file, GOOD.replace('provider: file', 'provider: fiel'));
    expect(() => loadConfig(file)).toThrow(/driftwarden\.yaml:6:\d+: targets\[0\]\.provider: unknown provider "fiel"/);
    writeFileSync(file, GOOD.replace('name: a', 'name: b'));
    expect(loadConfig(file).targets[0]?.name).toBe('b');
  });

  it('a damaged cache entry is a miss, and a cache folder that cannot be written is no error', () => {
    const dir = tempDir();
    const file = join(dir, 'driftwarden.yaml');
    writeFileSync(file, GOOD);
    const good = loadConfig(file);
    const [entry] = readdirSync(join(cache, 'driftwarden'));
    const path = join(cache, 'driftwarden', entry as string);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    expect(stored.validated).toEqual(good); // validated once, then reused
    // A validated config of the wrong shape, then data that does not validate: both fall back to the file.
    writeFileSync(path, JSON.stringify({ ...stored, validated: { ...stored.validated, targets: 'broken' } }));
    expect(loadConfig(file)).toEqual(good);
    writeFileSync(path, JSON.stringify({ key: stored.key, data: { ...stored.data, targets: 'broken' } }));
    expect(loadConfig(file)).toEqual(good);
    writeFileSync(path, '{"key": "trunc');
    expect(loadConfig(file)).toEqual(good);
    process.env.XDG_CACHE_HOME = join(file, 'not-a-folder'); // under a file: ENOTDIR
    expect(loadConfig(file).targets).toHaveLength(1);
  });

  it('the same text at another path resolves its paths there, not from the other entry', () => {
    const one = tempDir();
    const two = tempDir();
    writeFileSync(join(one, 'driftwarden.yaml'), GOOD);
    writeFileSync(join(two, 'driftwarden.yaml'), GOOD);
    expect(loadConfig(join(one, 'driftwarden.yaml')).targets[0]?.path).toBe(join(one, 'a.yaml'));
    expect(loadConfig(join(two, 'driftwarden.yaml')).targets[0]?.path).toBe(join(two, 'a.yaml'));
    expect(loadConfig(join(one, 'driftwarden.yaml')).git.repo).toBe(join(one, 'approved'));
  });

  it('keeps at most 64 entries: configs from ever new folders (a CI job) do not fill the cache folder', () => {
    const dir = tempDir();
    const files = Array.from({ length: 70 }, (_, i) => join(dir, `driftwarden-${i}.yaml`));
    for (const file of files) {
      writeFileSync(file, GOOD);
      loadConfig(file);
    }
    expect(readdirSync(join(cache, 'driftwarden'))).toHaveLength(64);
    // Still a working cache: a config read again is answered and the bound holds.
    expect(loadConfig(files[69] as string).targets[0]?.name).toBe('a');
    expect(readdirSync(join(cache, 'driftwarden'))).toHaveLength(64);
  });
});
