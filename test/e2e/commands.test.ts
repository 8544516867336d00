import { describe, expect, it } from 'vitest';
import { bin } from '../helpers/cli.js';
import { DRIFTED, setup } from '../helpers/fixture.js';

/**
 * Every command through the built binary (the bundle: scripts/bundle.mjs), as a user runs it.
 * The in-process tests run the TypeScript sources; only this shows that each command's chunk of
 * the bundle loads and finishes (a chunk that waits on the entry's evaluation would hang).
 */
describe('every command of the built binary loads, runs and exits', () => {
  it('check, diff, status, history, verify, validate, reconcile, revert, pause and resume', () => {
    const s = setup({ live: DRIFTED, targets: [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml', mode: 'alert' }] });
    const run = (...args: string[]) => bin(['--config', s.config, ...args]);
    const expectations: [string[], number, RegExp][] = [
      [['validate'], 0, /edge-lb/],
      [['check'], 2, /edge-lb\s+DRIFTED/],
      [['diff', 'edge-lb'], 2, /^\+\s+algorithm: random/m],
      [['status'], 0, /edge-lb\s+drifted/i],
      [['reconcile', '--dry-run'], 2, /edge-lb/],
      [['history'], 0, /drift\.detected/],
      [['history', 'verify'], 0, /history intact/],
      [['pause', 'edge-lb', '--for', '10m', '--reason', 'e2e'], 0, /paused/i],
      [['resume', 'edge-lb', '--reason', 'e2e'], 0, /resumed/i],
      // A file target cannot be applied: revert loads, explains and exits 1.
      [['revert', 'edge-lb', '--dry-run'], 1, /^error: target edge-lb uses provider file, which cannot apply a config/],
    ];
    for (const [args, code, output] of expectations) {
      const r = run(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(code === 1 ? r.stderr : r.stdout, args.join(' ')).toMatch(output);
    }
  });

  it('with GitHub configured and its token set (the client is loaded on demand), a command still finishes', () => {
    // Nothing listens on the API address: no call is made by `check` of a target in mode alert.
    const s = setup({ live: DRIFTED, extra: { github: { repo: 'acme/lb-config', tokenEnv: 'DW_E2E_TOKEN', apiUrl: 'http://127.0.0.1:9' } } });
    const env = { ...process.env, DW_E2E_TOKEN: 'not-a-real-token' };
    for (const command of ['check', 'reconcile']) {
      const r = bin(['--config', s.config, command], { env });
      expect({ command, code: r.code }).toEqual({ command, code: 2 });
      expect(r.stdout).toMatch(/edge-lb\s+DRIFTED/);
    }
  });
});
