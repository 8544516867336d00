import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { TestRepo } from '../git-repo.js';
import { tempDir } from '../tmp.js';
import { EchoServers } from './backends.js';
import { HaproxyInstance } from './haproxy.js';
import { freePort } from './ports.js';

/** A running HAProxy (round robin over two echo servers), its approved repo and a driftwarden.yaml. */
export interface HaproxySetup {
  dir: string;
  lb: HaproxyInstance;
  echo: EchoServers;
  repo: TestRepo;
  port: number;
  approved: string;
  config: string;
  url: string;
  /** The approved text with the balancing algorithm replaced. */
  withAlgorithm(algorithm: string): string;
  writeConfig(target?: Record<string, unknown>, extra?: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export async function haproxySetup(mode: 'alert' | 'revert' = 'revert'): Promise<HaproxySetup> {
  const dir = tempDir('dw-revert-');
  const echo = new EchoServers();
  const [p1, p2] = await echo.start(['s1', 's2']);
  const port = await freePort();
  const lb = new HaproxyInstance(dir);
  const approved = `${lb.globalSection()}frontend web\n    bind 127.0.0.1:${port}\n    default_backend api\n\nbackend api\n    balance roundrobin\n    server s1 127.0.0.1:${p1} weight 10\n    server s2 127.0.0.1:${p2} weight 10\n`;
  await lb.start(approved);
  const repo = new TestRepo(join(dir, 'approved'));
  repo.commit({ 'lb/haproxy.cfg': approved }, 'Approve haproxy config');
  const config = join(dir, 'driftwarden.yaml');
  const writeConfig = (target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    writeFileSync(config, stringify({
      git: { repo: './approved' },
      revert: { backoffInitial: '2s' },
      ...extra,
      targets: [{ name: 'edge', desired: 'lb/haproxy.cfg', provider: 'haproxy', mode, config: lb.config, runtimeApi: `unix:${lb.adminSock}`, masterSocket: `unix:${lb.masterSock}`, verifyTimeoutMs: 5000, ...target }],
    }));
  writeConfig();
  return {
    dir, lb, echo, repo, port, approved, config,
    url: `http://127.0.0.1:${port}/`,
    withAlgorithm: (a) => approved.replace('balance roundrobin', `balance ${a}`),
    writeConfig,
    stop: async () => {
      lb.stop();
      await echo.stop();
    },
  };
}
