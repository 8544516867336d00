import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * This build of driftwarden, for keys of cached derived data: another install, another build
 * or another parser starts afresh. The build writes every module, so one module's time tells.
 */
export const BUILD_ID: string = (() => {
  try {
    return String(statSync(fileURLToPath(import.meta.url)).mtimeMs);
  } catch {
    return 'unknown';
  }
})();
