import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { TestRepo } from './git-repo.js';
import { tempDir } from './tmp.js';

export const APPROVED = `# approved edge config
backends:
  api:
    algorithm: roundrobin
    servers:
      - name: api-1
        address: 10.0.0.1:8080
        weight: 10
      - name: api-2
        address: 10.0.0.2:8080
        weight: 10
frontends:
  web:
    bind: 0.0.0.0:80
    default_backend: api
`;

/** The postmortem's change: round robin replaced by a test-only algorithm, plus a weight. */
export const DRIFTED = APPROVED.replace('algorithm: roundrobin', 'algorithm: random').replace(
  'address: 10.0.0.2:8080\n        weight: 10',
  'address: 10.0.0.2:8080\n        weight: 50',
);

export interface Setup {
  dir: string;
  repo: TestRepo;
  config: string;
  live(name?: string): string;
  writeLive(text: string, name?: string): void;
}

/**
 * A temp folder with an approved Git repository (`approved/`), live files (`live/`) and a
 * driftwarden.yaml. `extra` is merged into the config; targets default to one `edge-lb`.
 */
export function setup(options: { approved?: string; live?: string; extra?: Record<string, unknown>; targets?: unknown[] } = {}): Setup {
  const dir = tempDir();
  const repo = new TestRepo(join(dir, 'approved'));
  repo.commit({ 'lb/edge.yaml': options.approved ?? APPROVED }, 'Approve edge config');
  const live = (name = 'edge.yaml') => join(dir, 'live', name);
  const writeLive = (text: string, name = 'edge.yaml') => {
    mkdirSync(dirname(live(name)), { recursive: true });
    writeFileSync(live(name), text);
  };
  writeLive(options.live ?? options.approved ?? APPROVED);
  const config = join(dir, 'driftwarden.yaml');
  const doc = {
    git: { repo: './approved', branch: 'main' },
    targets: options.targets ?? [{ name: 'edge-lb', desired: 'lb/edge.yaml', provider: 'file', path: './live/edge.yaml' }],
    ...options.extra,
  };
  writeFileSync(config, stringify(doc));
  return { dir, repo, config, live, writeLive };
}
