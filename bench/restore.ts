// Time to restore: on a real HAProxy, from an operator's drifting edit-and-reload to the running
// process serving the approved config again, with `driftwarden run` in mode revert:
//   - on a 1-second schedule, without the watch;
//   - on a 30-second schedule, with the live file watched (inotify).
//
//   npm run build && npx tsx bench/restore.ts [repeats=5]
//
// Goal: under 2 seconds with the watch, even on the 30-second schedule.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EchoServers } from '../test/helpers/lb/backends.js';
import { HaproxyInstance } from '../test/helpers/lb/haproxy.js';
import { fmt, summary } from './lib/stats.mjs';

const REPEATS = Number(process.argv[2] ?? 5);
const BIN = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function scenario(name: string, schedule: string, watch: boolean): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-restore-'));
  const echo = new EchoServers();
  const lb = new HaproxyInstance(dir);
  let service: ChildProcess | undefined;
  try {
    const [p1, p2] = await echo.start(['s1', 's2']);
    const port = await freePort();
    const approved = `${lb.globalSection()}frontend web\n    bind 127.0.0.1:${port}\n    default_backend api\n\nbackend api\n    balance roundrobin\n    server s1 127.0.0.1:${p1} weight 10\n    server s2 127.0.0.1:${p2} weight 10\n`;
    await lb.start(approved);
    const repo = join(dir, 'approved');
    mkdirSync(join(repo, 'lb'), { recursive: true });
    writeFileSync(join(repo, 'lb', 'haproxy.cfg'), approved);
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'approve');
    const listen = await freePort();
    writeFileSync(
      join(dir, 'driftwarden.yaml'),
      JSON.stringify({
        git: { repo: './approved' },
        schedule,
        listen: `127.0.0.1:${listen}`,
        revert: { maxReverts: 100, window: '1m' },
        targets: [{ name: 'edge', desired: 'lb/haproxy.cfg', provider: 'haproxy', mode: 'revert', watch, config: lb.config, runtimeApi: `unix:${lb.adminSock}`, masterSocket: `unix:${lb.masterSock}`, verifyTimeoutMs: 5000 }],
      }),
    );
    service = spawn(process.execPath, [BIN, '--config', join(dir, 'driftwarden.yaml'), 'run', '--log-level', 'warn', '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (let i = 0; i < 200 && (await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => null))?.status !== 200; i++) await sleep(100);
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await sleep(1_500); // let the previous round settle
      const started = performance.now();
      await lb.editAndReload(approved.replace('balance roundrobin', 'balance first'));
      let restored = false;
      for (let i = 0; i < 1_400 && !restored; i++) {
        restored = (await lb.algo('api').catch(() => undefined)) === 'roundrobin';
        if (!restored) await sleep(50);
      }
      if (!restored) throw new Error(`${name}: not restored within 70 s`);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    service?.kill('SIGTERM');
    if (service && service.exitCode === null) await new Promise((r) => service?.on('exit', r));
    lb.stop();
    await echo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
const out: Record<string, number> = {};
for (const [name, schedule, watch] of [
  ['1 s schedule, no watch', '* * * * * *', false],
  ['30 s schedule, watch', '*/30 * * * * *', true],
] as const) {
  const s = summary(await scenario(name, schedule, watch));
  out[name] = s.median;
  rows.push({ case: name, 'time to restore': fmt(s), goal: watch ? (s.median < 2_000 ? 'PASS (< 2 s)' : 'FAIL (< 2 s)') : '' });
}
console.log(`time to restore on a real HAProxy (from the operator's edit-and-reload), ${REPEATS} repeats`);
console.table(rows);
console.log(JSON.stringify({ bench: 'restore', ...out }));
