#!/usr/bin/env node
// After `tsc`: bundles the CLI (dist/cli/bin.js and everything it imports) into dist/bundle/,
// then makes dist/cli/bin.js a one-line entry into the bundle. A start of `driftwarden` then
// loads a few files instead of about three hundred (our modules, commander, simple-git):
// about 150 ms less per command (issue 7, fleet pass). Lazy imports stay lazy (code splitting).
//
// Not bundled: better-sqlite3 (native), and what only `run` or drift PRs load (pino, octokit,
// prom-client, @octokit/webhooks), which stay in node_modules as they are. yaml, diff and zod
// (validation of a config not in the parse cache) are loaded through createRequire on first use
// and are found in node_modules the same way.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'bin.js');
const outdir = join(root, 'dist', 'bundle');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'simple-git', 'node-cron']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d));

rmSync(outdir, { recursive: true, force: true });
await build({
  // The parse worker is an entry of its own, beside the chunks: off-thread.ts finds it as ./parse-worker.js.
  entryPoints: { driftwarden: entry, 'parse-worker': join(root, 'dist', 'parse', 'parse-worker.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS (simple-git's helpers) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __driftwardenRequire } from 'node:module'; const require = __driftwardenRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
writeFileSync(entry, "#!/usr/bin/env node\n// The CLI, bundled by scripts/bundle.mjs (the modules beside this file are what it was built from).\nimport '../bundle/driftwarden.js';\n");
