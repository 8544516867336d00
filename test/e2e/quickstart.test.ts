import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, bin } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the quickstart (README: npm run demo)', () => {
  it('finds the postmortem drift, names the unmerged test branch, and prints a verified history', () => {
    expect(existsSync(BIN), 'run `npm run build` first (npm test does)').toBe(true);
    const dir = join(tempDir(), 'demo');
    const run = spawnSync(process.execPath, [join(ROOT, 'examples', 'quickstart', 'demo.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, DRIFTWARDEN_DEMO_DIR: dir, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/edge-lb\s+DRIFTED\s+critical, 2 change\(s\)/);
    expect(run.stdout).toContain('critical backends.api.algorithm: roundrobin -> random  (live/edge.yaml:9)');
    expect(run.stdout).toContain('high     backends.api.servers.api-2.weight: 10 -> 40  (live/edge.yaml:17)');
    expect(run.stdout).toMatch(/provenance: unapproved: equals the file on unmerged branch experiment\/random-lb at [0-9a-f]{12} \(.+, "TEST ONLY: random balancing on the api pool"\)/);
    expect(run.stdout).toMatch(/^\+    algorithm: random {3}# test-only: trying out random balancing$/m);
    expect(run.stdout).toMatch(/^#1 .+drift\.detected {2}edge-lb {2}critical/m);
    expect(run.stdout).toMatch(/^history intact: 1 event\(s\)/m);
    expect(run.stdout).not.toContain('correct-horse-battery-staple');

    // The state it left behind is usable by the binary, as the demo's last line suggests.
    const status = bin(['status', '--json', '--config', join(dir, 'driftwarden.yaml')]);
    expect(status.code).toBe(0);
    expect(status.json().targets[0]).toMatchObject({ name: 'edge-lb', status: 'drifted', severity: 'critical', provenance: { kind: 'unapproved' } });
  });
});

describe('the driftwarden binary', () => {
  it('prints help and exits 0; an unknown command exits 1 with the usage', () => {
    const help = bin(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['check', 'diff', 'status', 'history', 'validate']) expect(help.stdout).toContain(cmd);
    const bad = bin(['frobnicate']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('reads ./driftwarden.yaml by default and says what to do when it is missing', () => {
    const run = bin(['check'], { cwd: tempDir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/driftwarden\.yaml: config file not found; create driftwarden.yaml or pass --config PATH/);
  });
});
