import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { parseConfig } from '../../src/config/load.js';
import { DRIFTED, setup } from '../helpers/fixture.js';
import { freePort } from '../helpers/lb/ports.js';
import { ServiceProcess } from '../helpers/service.js';

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
    // `driftwarden run` does not return: the next test runs it as a process.
    const commands = shellCommands().filter((c) => c.startsWith('driftwarden ') && !c.startsWith('driftwarden run'));
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

  it('every `driftwarden run` line starts the service, every curl line it shows answers, SIGTERM exits 0', async () => {
    const runs = shellCommands().filter((c) => c.startsWith('driftwarden run'));
    const curls = shellCommands().filter((c) => c.startsWith('curl '));
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(curls.length).toBeGreaterThanOrEqual(4);
    for (const [i, command] of runs.entries()) {
      const s = setup({ live: DRIFTED });
      const port = await freePort();
      writeFileSync(s.config, `${readFileSync(s.config, 'utf8')}listen: "127.0.0.1:${port}"\n`);
      const svc = new ServiceProcess(s.config, `http://127.0.0.1:${port}`, {}, words(command).slice(2));
      await svc.until(async () => (await svc.get('/readyz').catch(() => null))?.status === 200, `ready: ${command}`, 20_000);
      if (i === 0) {
        for (const curl of curls) {
          const r = spawnSync('curl', words(curl.replaceAll('localhost:9464', `127.0.0.1:${port}`)).slice(1), { encoding: 'utf8', timeout: 15_000 });
          expect(r.status, `${curl}: ${r.stderr}`).toBe(0);
        }
      }
      expect(await svc.stop(), command).toEqual({ code: 0, signal: null });
    }
  }, 120_000);

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
