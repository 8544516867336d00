import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { parseConfig } from '../../src/config/load.js';
import { DRIFTED, setup } from '../helpers/fixture.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** Shell-like words: double-quoted parts stay together. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** Lines of ```sh blocks, without comments. */
function shellCommands(): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

describe('the README stays true', () => {
  it('every driftwarden command it shows runs (exit 0, 1 or 2 as documented, never a usage error)', async () => {
    const commands = shellCommands().filter((c) => c.startsWith('driftwarden '));
    expect(commands.length).toBeGreaterThanOrEqual(7);
    const s = setup({ live: DRIFTED });
    for (const command of commands) {
      const args = words(command).slice(1);
      const run = await cli('--config', s.config, ...args);
      // The commands run against a file target: some (revert) are refused with a reason, never misunderstood.
      expect(run.stderr, command).not.toMatch(/unknown (command|option)|too many arguments|missing required|error: unexpected/);
      expect([0, 1, 2], command).toContain(run.code);
    }
  });

  it('names only npm scripts that exist, and the test command', () => {
    const scripts = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).scripts;
    const named = [...README.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1] as string);
    for (const name of named) expect(scripts, name).toHaveProperty(name);
    expect(shellCommands()).toContain('npm test');
    expect(shellCommands()).toContain('npm ci && npm run demo');
  });

  it('shows provider targets that the config loader accepts', () => {
    const blocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.startsWith('targets:'));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    for (const block of blocks) {
      const cfg = parseConfig(`git:\n  repo: ../approved\n${block}`, '/etc/driftwarden/driftwarden.yaml');
      expect(cfg.targets.map((t) => t.provider)).toEqual(['haproxy', 'nginx', 'caddy']);
    }
  });

  it('documents a configuration that is valid (the reference block parses)', () => {
    const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
    const cfg = parseConfig(block, '/etc/driftwarden/driftwarden.yaml');
    expect(cfg.targets[0]).toMatchObject({ name: 'edge-lb', provider: 'file', ignore: ['backends.*.servers.*.weight'] });
  });
});
