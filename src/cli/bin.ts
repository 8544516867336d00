#!/usr/bin/env node
import { main } from './main.js';

// No top-level await: in the bundle (scripts/bundle.mjs) a command's chunk may import code that
// lives in this entry chunk, and a dynamic import of it would wait for this module to finish
// evaluating, which would wait for the command: a deadlock.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Done: exit even if something left behind (a timer of work given up at shutdown) would keep the
  // process alive. Unref'd, so a process with nothing left exits at once, as usual.
  setTimeout(() => process.exit(code), 3_000).unref();
});
