import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';

/** The zod API, as the config schemas and the providers' options are built with it. */
export type ZodApi = typeof Zod;

let loaded: ZodApi | undefined;

/**
 * zod, loaded on first use: only a config that is not in the parse cache (new or edited) is
 * validated, and loading zod costs about 100 ms, more than a whole check of a small fleet.
 */
export function zod(): ZodApi {
  return (loaded ??= (createRequire(import.meta.url)('zod') as { z: ZodApi }).z);
}
