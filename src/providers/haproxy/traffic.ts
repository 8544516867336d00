import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { joinPath } from '../../diff/tree.js';
import { TrafficTestError } from '../../errors.js';
import type { TrafficAdapter, TrafficInput, TrafficPlan } from '../provider.js';
import { lexHaproxy, type HaproxySection } from './lexer.js';

/** Sections that are pools of servers, by their collection in the model. */
const POOLS: Record<string, string> = { backend: 'backends', listen: 'listens' };
/** Sections with listeners. */
const LISTENERS = new Set(['frontend', 'listen']);
/** Sections the test leaves out: they listen, resolve names or send mail to real addresses. */
const DROPPED_SECTIONS = new Set(['peers', 'resolvers', 'mailers', 'program', 'log-forward', 'ring']);
/** global lines that would daemonize, change user, write outside the test's folder or log elsewhere. */
const DROPPED_GLOBAL = new Set(['daemon', 'master-worker', 'chroot', 'user', 'group', 'uid', 'gid', 'pidfile', 'stats', 'log', 'log-send-hostname', 'nbproc', 'node', 'localpeer', 'cluster-secret']);
/** Lines dropped anywhere: logging, and error pages read from files the test machine may lack. */
const DROPPED_ANYWHERE = new Set(['log', 'errorfile', 'email-alert', 'dispatch', 'server-state-file', 'load-server-state-from-file']);
/** Server options with an argument that point at TLS, DNS or other addresses: dropped (echo servers speak plain HTTP). */
const SERVER_OPTIONS_WITH_VALUE = new Set(['verify', 'ca-file', 'crt', 'crl-file', 'sni', 'alpn', 'check-alpn', 'npn', 'ciphers', 'ciphersuites', 'curves', 'sigalgs', 'client-sigalgs', 'ssl-min-ver', 'ssl-max-ver', 'resolvers', 'resolve-prefer', 'resolve-opts', 'init-addr', 'proto', 'namespace', 'addr', 'port', 'source', 'usesrc', 'agent-port', 'agent-addr', 'agent-send', 'agent-inter', 'check-sni', 'verifyhost', 'socks4', 'set-proxy-v2-tlv-fmt', 'pool-conn-name', 'sni-auto']);
const SERVER_FLAGS_DROPPED = new Set(['ssl', 'check-ssl', 'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'check-send-proxy', 'agent-check', 'check-via-socks4', 'no-verifyhost', 'allow-0rtt', 'tfo']);

/**
 * The HAProxy traffic test's rewrite: every `bind` of a frontend or listen section becomes one
 * loopback port, every `server` points at its echo server (TLS, DNS and PROXY-protocol options
 * dropped), and what would daemonize, log or reach other hosts is left out. Balancing settings
 * (balance, weights, backup, disabled, hash types, ACLs and use_backend rules) stay as written.
 */
export const haproxyTraffic: TrafficAdapter = {
  async rewrite(input: TrafficInput): Promise<TrafficPlan> {
    const sections = lexHaproxy(input.text, input.origin);
    const frontends: TrafficPlan['frontends'] = [];
    const notes: string[] = [];
    const out: string[] = [];
    for (const section of sections) {
      if (DROPPED_SECTIONS.has(section.type)) {
        notes.push(`${section.type} ${section.name}: left out (it would reach other hosts)`);
        continue;
      }
      out.push(render([section.type, ...(section.name ? [section.name] : []), ...section.args]));
      if (LISTENERS.has(section.type)) {
        const port = await input.port();
        frontends.push({ name: section.name, port, path: '/' });
        out.push(`    ${render(['bind', `127.0.0.1:${port}`])}`);
      }
      for (const words of await body(section, input)) out.push(`    ${render(words)}`);
    }
    const config = join(input.dir, 'haproxy.cfg');
    writeFileSync(config, `${out.join('\n')}\n`);
    return { config, frontends, notes };
  },
  command: (plan, _dir, binary) => ({ cmd: binary, args: ['-db', '-f', plan.config] }),
};

/** A section's lines as they run in the test. */
async function body(section: HaproxySection, input: TrafficInput): Promise<string[][]> {
  const out: string[][] = [];
  for (const { words, line } of section.lines) {
    const keyword = words[0] as string;
    if (section.type === 'global' && DROPPED_GLOBAL.has(keyword)) continue;
    if (DROPPED_ANYWHERE.has(keyword) || keyword === 'bind') continue;
    if (keyword === 'server-template') throw new TrafficTestError(`${input.origin}:${line}: server-template is not supported by the traffic test (its servers come from DNS)`);
    if (keyword === 'server') {
      const collection = POOLS[section.type];
      if (!collection || words.length < 3) throw new TrafficTestError(`${input.origin}:${line}: a server line the traffic test cannot place`);
      const name = words[1] as string;
      const port = await input.echo(joinPath(collection, section.name), name);
      out.push(['server', name, `127.0.0.1:${port}`, ...serverOptions(words.slice(3))]);
      continue;
    }
    if (keyword === 'default-server') {
      out.push(['default-server', ...serverOptions(words.slice(1))]);
      continue;
    }
    out.push(words);
  }
  return out;
}

function serverOptions(params: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as string;
    if (SERVER_FLAGS_DROPPED.has(p)) continue;
    if (SERVER_OPTIONS_WITH_VALUE.has(p)) {
      i++;
      continue;
    }
    out.push(p);
  }
  return out;
}

/** Words back into a line: plain words as they are, others in single quotes (HAProxy reads them verbatim). */
function render(words: string[]): string {
  return words
    .map((w) => {
      if (w !== '' && /^[^\s#"'\\]+$/.test(w)) return w;
      if (!w.includes("'")) return `'${w}'`;
      return `"${w.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
    })
    .join(' ');
}
