import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onLocalDisk, readLiveFile } from '../../../src/providers/shared/read-file.js';
import { tempDir } from '../../helpers/tmp.js';

describe('reading live files', () => {
  it('reads on a local disk at once and elsewhere through the thread pool, with the same text and errors', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    expect(await onLocalDisk(dir)).toBe(true); // the temp folder is on this machine's disk
    expect(await readLiveFile(join(dir, 'a.yaml'))).toBe('a: 1\n');
    await expect(readLiveFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
    // procfs is no disk filesystem: not known to be local, so read the careful way.
    expect(await onLocalDisk('/proc/self')).toBe(false);
    expect(await readLiveFile('/proc/self/status')).toMatch(/^Name:/);
    await expect(readLiveFile('/proc/self/no-such-file')).rejects.toMatchObject({ code: 'ENOENT' });
    // A folder that cannot be asked about is not taken for local.
    expect(await onLocalDisk(join(dir, 'no', 'such', 'folder'))).toBe(false);
  });

  it('a file that is a symbolic link (perhaps to a network mount) is read through the thread pool, with the same text', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.yaml'), 'a: 1\n');
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'link.yaml'));
    symlinkSync('/proc/self/status', join(dir, 'proc-link'));
    expect(await readLiveFile(join(dir, 'link.yaml'))).toBe('a: 1\n');
    expect(await readLiveFile(join(dir, 'proc-link'))).toMatch(/^Name:/);
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    await expect(readLiveFile(join(dir, 'dangling.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a read already cancelled by the pass does not happen', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    const controller = new AbortController();
    controller.abort();
    await expect(readLiveFile(join(dir, 'a.yaml'), controller.signal)).rejects.toThrow(/abort/i);
    await expect(readLiveFile('/proc/self/status', controller.signal)).rejects.toThrow(/abort/i);
  });
});
