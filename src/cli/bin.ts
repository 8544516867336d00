#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Done: exit even if something left behind (a timer of work given up at shutdown) would keep the
// process alive. Unref'd, so a process with nothing left exits at once, as usual.
setTimeout(() => process.exit(code), 3_000).unref();
