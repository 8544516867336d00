#!/usr/bin/env node
// The gate's traffic test on a 4-backend config, with the real HAProxy, nginx and Caddy: wall time of
// runTrafficTest (rewrite, echo servers, start, 1,000 requests, judge, stop), median of N runs.
// The issue's goal: a 4-backend config in under 10 seconds. Also checks that the test leaves no
// process behind (the marker is the test's temp folder prefix).
//
//   npm run build && node bench/gate-traffic.mjs [repeats=5]
import { readdirSync, readFileSync } from 'node:fs';
import { runTrafficTest, DEFAULT_TRAFFIC } from '../dist/gate/traffic/run.js';
import { caddyProvider } from '../dist/providers/caddy/index.js';
import { haproxyProvider } from '../dist/providers/haproxy/index.js';
import { nginxProvider } from '../dist/providers/nginx/index.js';

const repeats = Number(process.argv[2] ?? 5);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('usage: node bench/gate-traffic.mjs [repeats >= 1]');
const GOAL_MS = 10_000;

const haproxy = ['defaults', '    mode http', '    timeout connect 2s', '    timeout client 10s', '    timeout server 10s', '', 'frontend web', '    bind :80', '    default_backend api', '', 'backend api', '    balance roundrobin', '    option httpchk GET /', ...[1, 2, 3, 4].map((i) => `    server api-${i} 10.0.0.${i}:8080 weight 10 check`), ''].join('\n');
const nginx = ['events { worker_connections 256; }', 'http {', '    upstream app {', ...[1, 2, 3, 4].map((i) => `        server 10.0.0.${i}:8080 weight=5;`), '    }', '    server {', '        listen 80;', '        location / { proxy_pass http://app; }', '    }', '}', ''].join('\n');
// A Caddyfile: `caddy adapt` turns it into JSON first, as the gate does.
const caddy = ['{', '\tadmin off', '}', '', 'http://shop.example.com {', `\treverse_proxy ${[1, 2, 3, 4].map((i) => `10.0.0.${i}:8080`).join(' ')} {`, '\t\tlb_policy round_robin', '\t}', '}', ''].join('\n');
const caddyTarget = { binary: 'caddy', adminApi: 'http://127.0.0.1:2019', timeoutMs: 10_000 };

function leftovers() {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dw-traffic-')) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let failed = false;
console.log(`gate traffic test, 4 servers, ${DEFAULT_TRAFFIC.requests} requests, median of ${repeats}; Node ${process.version}`);
for (const [name, provider, text, target] of [['haproxy', haproxyProvider, haproxy, {}], ['nginx', nginxProvider, nginx, {}], ['caddy', caddyProvider, caddy, caddyTarget]]) {
  const times = [];
  let verdict = '';
  for (let i = 0; i < repeats; i++) {
    const tree = await provider.parse(text, `bench/${name}`, target);
    const start = performance.now();
    const r = await runTrafficTest({ provider, binary: name, text, origin: `bench/${name}`, tree, configDir: '/etc', target, settings: DEFAULT_TRAFFIC });
    times.push(performance.now() - start);
    verdict = `${r.ok ? 'ok' : 'skewed'}; ${r.pools[0]?.servers.map((s) => s.requests).join('/')}`;
  }
  const left = leftovers();
  const pass = Math.max(...times) < GOAL_MS && left.length === 0;
  failed ||= !pass;
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: median ${(median(times) / 1000).toFixed(2)} s, min ${(Math.min(...times) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s (goal < ${GOAL_MS / 1000} s); spread ${verdict}; processes left: ${left.length}`);
}
process.exitCode = failed ? 1 : 0;
