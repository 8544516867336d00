import { isAbsolute, relative } from 'node:path';
import type { ZodApi } from '../../config/zod.js';
import { ObserveError } from '../../errors.js';
import { FORMATS, formatFromPath, parseFormat } from '../../formats/index.js';
import type { Provider, TargetBase } from '../provider.js';
import { readLiveFile } from '../shared/read-file.js';

const options = (z: ZodApi) => ({
  /** The live file (relative to the config file). */
  path: z.string().min(1),
  /** yaml | json | text; default from the desired file's extension. */
  format: z.enum(FORMATS).optional(),
});

type FileOptions = { path: string; format?: (typeof FORMATS)[number] };

/** A live config file on this machine: the simplest target, and the model for the others. */
export const fileProvider: Provider<FileOptions> = {
  kind: 'file',
  options,
  pathOptions: ['path'],
  watchOption: 'path',
  async observe(target, ctx) {
    try {
      // The pass's timeout race bounds a read that hangs (a dead network mount).
      const text = await readLiveFile(target.path, ctx.signal);
      ctx.signal.throwIfAborted();
      return { text, origin: displayPath(target.path, ctx.baseDir), facts: {} };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint =
        code === 'ENOENT'
          ? 'the live file does not exist; check the target\'s `path`'
          : code === 'EACCES'
            ? 'permission denied; run driftwarden as a user that can read it'
            : (err as Error).message;
      throw new ObserveError(`cannot read live file ${target.path}: ${hint}`, { cause: err });
    }
  },
  parse(text, origin, target: TargetBase & FileOptions) {
    return parseFormat(text, origin, target.format ?? formatFromPath(target.desired));
  },
};

/** Paths inside the config's folder are shown relative to it; others stay absolute. */
function displayPath(path: string, baseDir: string): string {
  const rel = relative(baseDir, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
