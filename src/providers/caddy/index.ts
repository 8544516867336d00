import { extname } from 'node:path';
import type { ZodApi } from '../../config/zod.js';
import type { Provider, TargetBase } from '../provider.js';
import { readRunningConfig } from './admin-api.js';
import { applyCaddy } from './apply.js';
import { adaptCaddyfile, validateCaddy } from './cli.js';
import { caddyTraffic } from './traffic.js';
import { parseCaddyJson } from './model.js';

const options = (z: ZodApi) => ({
  /** Caddy's admin API, e.g. http://127.0.0.1:2019 (the running config is the live state). */
  adminApi: z.url({ protocol: /^https?$/, error: 'an http(s) URL such as http://127.0.0.1:2019' }),
  /** Format of the approved file: json, or caddyfile (turned into JSON with `caddy adapt`); default from its extension. */
  adapter: z.enum(['json', 'caddyfile']).optional(),
  binary: z.string().min(1).default('caddy'),
  timeoutMs: z.number().int().positive().max(120_000).default(10_000),
});

export type CaddyOptions = { adminApi: string; adapter?: 'json' | 'caddyfile'; binary: string; timeoutMs: number };
type Target = TargetBase & CaddyOptions;

function adapterOf(target: Target, origin: string): 'json' | 'caddyfile' {
  if (target.adapter) return target.adapter;
  return extname(origin.replace(/@[0-9a-f]+$/, '')).toLowerCase() === '.json' ? 'json' : 'caddyfile';
}

/** The approved text as Caddy JSON (adapting a Caddyfile). */
export async function approvedJson(text: string, origin: string, target: Target): Promise<string> {
  return adapterOf(target, origin) === 'caddyfile' ? adaptCaddyfile(text, origin, target.binary) : text;
}

/** Caddy: the config the admin API reports is the live state itself. */
export const caddyProvider: Provider<CaddyOptions> = {
  kind: 'caddy',
  options,
  async observe(target) {
    const { text, etag } = await readRunningConfig(target.adminApi, target.timeoutMs);
    const facts: Record<string, string> = etag ? { etag } : {};
    return { text, origin: `${new URL(target.adminApi).origin}/config/`, facts };
  },
  // A Caddyfile is adapted by `caddy adapt`: keep its trees (TreeCache).
  costlyParse: true,
  async parse(text, origin, target) {
    // The live side always comes from the admin API as JSON.
    const json = origin.endsWith('/config/') ? text : await approvedJson(text, origin, target);
    return parseCaddyJson(json, origin);
  },
  async validate(text, target) {
    return validateCaddy(await approvedJson(text, target.desired, target), target.desired, target.binary);
  },
  apply: (target, approved, ctx) => applyCaddy(target, approved, ctx),
  traffic: caddyTraffic((text, origin, target) => approvedJson(text, origin, target as unknown as Target)),
};
