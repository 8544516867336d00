import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poolsOf } from '../../diff/pools.js';
import type { ConfigTree } from '../../diff/tree.js';
import { TrafficTestError } from '../../errors.js';
import type { FileSource, Provider, TrafficPlan } from '../../providers/provider.js';
import { ECHO_HEADER, EchoFleet } from './echo.js';
import { judgePool, type PoolVerdict } from './expect.js';

export interface TrafficSettings {
  /** Requests sent through each frontend. */
  requests: number;
  tolerance: number;
  maxSkew: number;
}

export const DEFAULT_TRAFFIC: TrafficSettings = { requests: 1_000, tolerance: 0.05, maxSkew: 2 };

/** The settings of a target's `gate.traffic`, or null when the test is off. */
export function trafficSettings(gate: { traffic: boolean | Partial<TrafficSettings> } | undefined): TrafficSettings | null {
  const t = gate?.traffic;
  if (!t) return null;
  return t === true ? DEFAULT_TRAFFIC : { ...DEFAULT_TRAFFIC, ...t };
}

export interface FrontendTally {
  name: string;
  port: number;
  path: string;
  requests: number;
  /** Answered by an echo server, through the balancer. */
  proxied: number;
  /** Answered by the balancer itself, by status (a redirect, a 503 with no server). */
  unproxied: Record<string, number>;
  /** No answer (refused, reset, timed out). */
  errors: number;
}

export interface TrafficReport {
  ok: boolean;
  requestsPerFrontend: number;
  frontends: FrontendTally[];
  pools: PoolVerdict[];
  /** What blocks: a server off its promised share, a skewed pool (with its path), failing requests. */
  problems: { message: string; path?: string }[];
  notes: string[];
  ms: number;
}

export interface TrafficRun {
  provider: Provider<any>;
  binary: string;
  text: string;
  origin: string;
  tree: ConfigTree;
  files?: FileSource;
  /** The live config's folder: where relative includes resolve. */
  configDir: string;
  /** The target's settings. */
  target: Record<string, unknown>;
  settings: TrafficSettings;
}

/** How long the balancer may take to listen on every frontend. */
const START_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 5_000;
/** Failed requests (no answer, or a 5xx from the balancer itself) above this share block. */
const MAX_FAILED_SHARE = 0.01;

/**
 * Starts the real load balancer on the proposed config, rewritten by the provider's traffic
 * adapter (loopback listeners, echo servers for every server), sends `requests` requests through
 * each frontend one after another, and judges each pool's spread (see expect.ts). Every process
 * and server it starts is stopped, and its folder removed, whatever happens.
 */
export async function runTrafficTest(run: TrafficRun): Promise<TrafficReport> {
  const adapter = run.provider.traffic;
  if (!adapter) throw new TrafficTestError(`the traffic test does not apply to provider ${run.provider.kind}`);
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'dw-traffic-'));
  const fleet = new EchoFleet();
  let child: ChildProcess | undefined;
  try {
    const plan = await adapter.rewrite({ text: run.text, origin: run.origin, dir, configDir: run.configDir, target: run.target, ...(run.files ? { files: run.files } : {}), echo: (pool, server) => fleet.port(pool, server), port: freePort });
    if (plan.frontends.length === 0) throw new TrafficTestError(`${run.origin}: no frontend to send requests through`);
    const { cmd, args } = adapter.command(plan, dir, run.binary);
    const output = { text: '' };
    child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer): void => {
      output.text = (output.text + c.toString()).slice(-8_192);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<string>((resolve) => {
      child?.once('error', (err) => resolve(`could not start ${cmd}: ${err.message}`));
      child?.once('exit', (code, signal) => resolve(`${cmd} exited (${signal ?? `code ${code}`}) before listening`));
    });
    await waitListening(plan, exited, output);
    const sources = await variedSources();
    const frontends: FrontendTally[] = [];
    const counts = new Map<string, Map<string, number>>();
    for (const f of plan.frontends) frontends.push(await sendThrough(f, run.settings.requests, sources, fleet, counts));
    return judge(run, plan, frontends, counts, sources, performance.now() - started);
  } finally {
    if (child) await stop(child);
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function judge(run: TrafficRun, plan: TrafficPlan, frontends: FrontendTally[], counts: Map<string, Map<string, number>>, sources: boolean, ms: number): TrafficReport {
  const problems: TrafficReport['problems'] = [];
  const notes = [...plan.notes];
  if (!sources) notes.push('requests all came from 127.0.0.1 (other loopback source addresses could not be bound): source-hashing pools see one client');
  for (const f of frontends) {
    const failed = f.errors + Object.entries(f.unproxied).filter(([status]) => status.startsWith('5')).reduce((n, [, c]) => n + c, 0);
    if (failed > f.requests * MAX_FAILED_SHARE) problems.push({ message: `frontend ${f.name}: ${failed} of ${f.requests} requests failed (${describeTally(f)})` });
    else if (f.proxied === 0) notes.push(`frontend ${f.name}: no request reached a server (${describeTally(f)}); the test speaks plain HTTP to ${f.path}`);
  }
  const vocabulary = run.tree.vocabulary?.collections ?? {};
  const pools: PoolVerdict[] = [];
  for (const pool of poolsOf(run.tree.root)) {
    const got = counts.get(pool.path);
    const label = `${vocabulary[pool.collection] ?? pool.collection} ${pool.name}`;
    if (!got) {
      if (pool.servers.length > 0) notes.push(`${label}: no request reached it (routing by host name, path or header that the test does not exercise)`);
      continue;
    }
    const verdict = judgePool(pool, label, got, run.settings);
    pools.push(verdict);
    problems.push(...verdict.problems.map((message) => ({ message, path: pool.path })));
  }
  return { ok: problems.length === 0, requestsPerFrontend: run.settings.requests, frontends, pools, problems, notes, ms: Math.round(ms) };
}

function describeTally(f: FrontendTally): string {
  const parts = [`${f.proxied} proxied`];
  for (const [status, n] of Object.entries(f.unproxied)) parts.push(`${n} x ${status}`);
  if (f.errors > 0) parts.push(`${f.errors} without an answer`);
  return parts.join(', ');
}

/** Sends the requests one after another, each on a new connection, varying the URI and (when it can) the source address. */
async function sendThrough(f: TrafficPlan['frontends'][number], n: number, sources: boolean, fleet: EchoFleet, counts: Map<string, Map<string, number>>): Promise<FrontendTally> {
  const tally: FrontendTally = { name: f.name, port: f.port, path: f.path, requests: n, proxied: 0, unproxied: {}, errors: 0 };
  for (let i = 0; i < n; i++) {
    // A prefix gets a path of its own per request (a URI hash reads the path), and every request a query.
    const path = `${f.path}${f.path.endsWith('/') ? `driftwarden/${i}` : ''}${f.path.includes('?') ? '&' : '?'}driftwarden=${i}`;
    const answer = await get(f.port, path, f.host ?? 'localhost', sources ? sourceAddress(i) : undefined);
    if (answer === null) {
      tally.errors++;
      continue;
    }
    const id = answer.echo === undefined ? undefined : fleet.identities[Number(answer.echo)];
    if (!id) {
      tally.unproxied[String(answer.status)] = (tally.unproxied[String(answer.status)] ?? 0) + 1;
      continue;
    }
    tally.proxied++;
    let pool = counts.get(id.pool);
    if (!pool) counts.set(id.pool, (pool = new Map()));
    pool.set(id.server, (pool.get(id.server) ?? 0) + 1);
  }
  return tally;
}

/**
 * 127.1.x.y, a different one per request (all of 127/8 is this host's loopback). The third byte
 * changes with every request: nginx's ip_hash reads only the first three.
 */
function sourceAddress(i: number): string {
  return `127.1.${(i % 250) + 1}.${(Math.floor(i / 250) % 250) + 1}`;
}

/** Whether a socket can be bound to another loopback address than 127.0.0.1 here. */
function variedSources(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, sourceAddress(0), () => server.close(() => resolve(true)));
  });
}

function get(port: number, path: string, host: string, localAddress: string | undefined): Promise<{ status: number; echo?: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { connection: 'close', host }, timeout: REQUEST_TIMEOUT_MS, ...(localAddress ? { localAddress } : {}) }, (res) => {
      const echo = res.headers[ECHO_HEADER];
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(typeof echo === 'string' ? { echo } : {}) }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Waits until every frontend accepts connections, or the balancer exits, or the time is up. */
async function waitListening(plan: TrafficPlan, exited: Promise<string>, output: { text: string }): Promise<void> {
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (const f of plan.frontends) {
    for (;;) {
      if (gone) throw new TrafficTestError(`${gone}: ${lastLines(output.text)}`);
      if (await accepts(f.port)) break;
      if (Date.now() > deadline) throw new TrafficTestError(`frontend ${f.name} did not listen on 127.0.0.1:${f.port} within ${START_TIMEOUT_MS / 1000} s: ${lastLines(output.text)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean).slice(-5);
  return lines.length > 0 ? lines.join(' | ') : '(no output)';
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGTERM to the balancer's process group, then SIGKILL if it has not exited within 3 s. */
async function stop(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(pid, 'SIGKILL'); // workers it may have left
    await groupGone(pid);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(pid, 'SIGTERM');
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 3_000));
  if ((await Promise.race([exited, timer])) === 'late') {
    signalGroup(pid, 'SIGKILL');
    await exited;
  }
  signalGroup(pid, 'SIGKILL'); // anything of its group still there
  await groupGone(pid);
}

/**
 * Waits (at most 3 s) until no live process is left in the group: a killed process dies only
 * when it next runs, and the gate promises that nothing it started outlives it. Linux only
 * (/proc); elsewhere it returns at once. Zombies count as gone: their parent, not us, reaps them.
 */
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (liveMembers(pgid) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function liveMembers(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  let n = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') n++;
    } catch {
      /* it ended meanwhile */
    }
  }
  return n;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone */
  }
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
