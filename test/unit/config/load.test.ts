import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { ConfigurationError, type ConfigProblem } from '../../../src/errors.js';
import { tempDir } from '../../helpers/tmp.js';

function problems(text: string): ConfigProblem[] {
  try {
    parseConfig(text, '/etc/dw/driftwarden.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as ConfigurationError).problems;
  }
  throw new Error('expected the config to be rejected');
}

const GOOD = `git:
  repo: ../approved
targets:
  - name: edge-lb
    desired: lb/edge.yaml
    provider: file
    path: ./live/edge.yaml
`;

describe('config loading', () => {
  it('loads a valid file with defaults and paths resolved against its folder', () => {
    const cfg = parseConfig(GOOD, '/etc/dw/driftwarden.yaml');
    expect(cfg.git).toEqual({ repo: '/etc/approved', branch: 'main' });
    expect(cfg.stateDir).toBe('/etc/dw/.driftwarden');
    expect(cfg.targets[0]).toMatchObject({ name: 'edge-lb', mode: 'alert', path: '/etc/dw/live/edge.yaml', ignore: [] });
  });

  it('keeps URLs as they are', () => {
    const cfg = parseConfig(GOOD.replace('../approved', 'https://github.com/acme/lb.git'), '/x/d.yaml');
    expect(cfg.git.repo).toBe('https://github.com/acme/lb.git');
    expect(parseConfig(GOOD.replace('../approved', 'git@github.com:acme/lb.git'), '/x/d.yaml').git.repo).toBe('git@github.com:acme/lb.git');
  });

  it('names file, line and field of an unknown provider and lists the known ones', () => {
    const [p] = problems(GOOD.replace('provider: file', 'provider: f5'));
    expect(p).toMatchObject({ file: '/etc/dw/driftwarden.yaml', line: 6, field: 'targets[0].provider' });
    expect(p?.message).toMatch(/unknown provider "f5"; known providers: file/);
  });

  it('rejects unknown keys at every level, pointing at the key', () => {
    const ps = problems(GOOD.replace('  repo: ../approved', '  repo: ../approved\n  brnach: main').replace('    path:', '    pathh: x\n    path:'));
    expect(ps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 3, field: 'git.brnach', message: expect.stringMatching(/unknown key/) }),
        expect.objectContaining({ line: 8, field: 'targets[0].pathh' }),
      ]),
    );
  });

  it('reports every problem at once, not only the first', () => {
    const text = `git:
  repo: ../approved
schedule: "every minute"
targets:
  - name: Edge_LB
    desired: lb/edge.yaml
    provider: file
    path: x
    mode: yolo
  - name: b
    provider: file
    path: y
`;
    const ps = problems(text);
    const byField = Object.fromEntries(ps.map((p) => [p.field, p]));
    expect(byField.schedule).toMatchObject({ line: 3, message: expect.stringMatching(/cron/) });
    expect(byField['targets[0].name']).toMatchObject({ line: 5, message: expect.stringMatching(/lowercase/) });
    expect(byField['targets[0].mode']).toMatchObject({ line: 9, message: expect.stringMatching(/alert, pr, revert/) });
    expect(byField['targets[1].desired']).toMatchObject({ line: 10, message: expect.stringMatching(/missing/) });
  });

  it('names the expected type and the type found for a value of the wrong type, never the value', () => {
    const ps = problems(GOOD.replace('  repo: ../approved', '  repo: ../approved\nstate: 5').replace('    path: ./live/edge.yaml', '    path: ./live/edge.yaml\n    ignore: "s3cret-value"'));
    const byField = Object.fromEntries(ps.map((p) => [p.field, p]));
    expect(byField.state).toMatchObject({ line: 3, message: 'expected string, got a number' });
    expect(byField['targets[0].ignore']).toMatchObject({ message: 'expected array, got a string' });
    expect(JSON.stringify(ps)).not.toContain('s3cret-value');
    expect(byField['targets[0].desired']).toBeUndefined();
  });

  it('says an empty string must not be empty', () => {
    expect(problems(GOOD.replace('desired: lb/edge.yaml', 'desired: ""'))[0]).toMatchObject({ field: 'targets[0].desired', message: expect.stringMatching(/path of the approved file|must not be empty/) });
    expect(problems(GOOD.replace('  repo: ../approved', '  repo: ../approved\n  branch: ""'))[0]).toMatchObject({ field: 'git.branch', message: 'must not be empty' });
  });

  it('rejects duplicate target names', () => {
    const text = `${GOOD}  - name: edge-lb\n    desired: lb/other.yaml\n    provider: file\n    path: y\n`;
    expect(problems(text)[0]).toMatchObject({ line: 8, field: 'targets[1].name', message: expect.stringMatching(/duplicate/) });
  });

  it('refuses a token pasted where the variable name belongs', () => {
    const ps = problems(GOOD.replace('  repo: ../approved', '  repo: ../approved\n  tokenEnv: ghp_abc-123.xyz'));
    expect(ps[0]).toMatchObject({ field: 'git.tokenEnv', line: 3 });
    expect(ps[0]?.message).toMatch(/NAME of an environment variable/);
  });

  it('points at the line of a YAML syntax error', () => {
    expect(problems('git:\n  repo: [a\ntargets: x\n')[0]).toMatchObject({ line: expect.any(Number), message: expect.stringMatching(/invalid YAML/) });
  });

  it('reports a missing config file with what to do', () => {
    expect(() => loadConfig(join(tempDir(), 'none.yaml'))).toThrow(/config file not found; create driftwarden.yaml or pass --config PATH/);
  });

  it('validates notify webhooks and redaction patterns', () => {
    const ps = problems(`${GOOD}notify:\n  - webhook: not-a-url\nredact:\n  patterns: ["(unclosed"]\n`);
    expect(ps.map((p) => [p.field, p.line])).toEqual(expect.arrayContaining([['notify[0].webhook', 9], ['redact.patterns[0]', 11]]));
  });

  it('loads from disk through loadConfig', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'd.yaml'), GOOD);
    expect(loadConfig(join(dir, 'd.yaml')).baseDir).toBe(dir);
  });
});
