/**
 * A worker thread that parses config texts for the main thread (see off-thread.ts): the first
 * parses of a process are slow (the YAML library and the parsers are not compiled yet), and a
 * pass with many drifted targets would spend them on the thread that reads the live configs.
 */
import { parentPort } from 'node:worker_threads';
import { ParseError } from '../errors.js';
import { getProvider } from '../providers/registry.js';
import type { ParseReply, ParseRequest, WorkerReady } from './messages.js';
import { plainTree } from './messages.js';

const port = parentPort;
if (!port) throw new Error('parse-worker.js runs as a worker thread only');

// The first parse compiles the YAML library and the parsers: done here while the main thread
// waits for Git, not when the first drifted target needs it.
try {
  getProvider('file').parse('warm: [1, "a"]\n', 'warm.yaml', { name: 'warm', desired: 'warm.yaml', provider: 'file', mode: 'alert', ignore: [] } as never);
} catch {
  /* only a warm-up */
}

port.on('message', (req: ParseRequest) => {
  void answer(req).then((reply) => port.postMessage(reply));
});
port.postMessage({ ready: true } satisfies WorkerReady);

async function answer(req: ParseRequest): Promise<ParseReply> {
  try {
    const tree = await getProvider(req.kind).parse(req.text, req.origin, req.target as never);
    // A tree with more than plain data would not survive the copy to the main thread.
    return plainTree(tree) ? { id: req.id, tree } : { id: req.id, unsupported: true };
  } catch (err) {
    if (err instanceof ParseError) return { id: req.id, parseError: { origin: err.origin, line: err.line, detail: err.detail } };
    return { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
}
