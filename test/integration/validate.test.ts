import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { setup } from '../helpers/fixture.js';

describe('driftwarden validate', () => {
  it('accepts a valid config and parsable approved files', async () => {
    const s = setup();
    const run = await cli('--config', s.config, 'validate');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/driftwarden\.yaml: valid \(1 target\(s\)\)\nedge-lb: lb\/edge\.yaml ok/);
  });

  it('names the file and line of an approved file that does not parse, and a missing one', async () => {
    const s = setup({
      targets: [
        { name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml' },
        { name: 'other', desired: 'lb/missing.yaml', provider: 'file', path: './live/edge.yaml' },
      ],
    });
    s.repo.commit({ 'lb/edge.yaml': 'backends:\n  api:\n    algorithm: roundrobin\n  api: {}\n' }, 'duplicate key');
    const run = await cli('--config', s.config, 'validate', '--json');
    expect(run.code).toBe(1);
    const targets = run.json().targets;
    expect(targets[0]).toMatchObject({ name: 'edge-lb', ok: false, error: expect.stringMatching(/^lb\/edge\.yaml@[0-9a-f]{12}:4: invalid YAML/) });
    expect(targets[1]).toMatchObject({ name: 'other', ok: false, error: expect.stringMatching(/lb\/missing\.yaml@[0-9a-f]{12}: not found on branch main/) });
  });
});
