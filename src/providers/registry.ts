import { caddyProvider } from './caddy/index.js';
import { fileProvider } from './file/index.js';
import { haproxyProvider } from './haproxy/index.js';
import { nginxProvider } from './nginx/index.js';
import type { Provider } from './provider.js';

/** The one table of providers: adding a load balancer is one folder and one line here. */
export const PROVIDERS: Record<string, Provider<any>> = {
  file: fileProvider,
  haproxy: haproxyProvider,
  nginx: nginxProvider,
  caddy: caddyProvider,
};

export function providerKinds(): string[] {
  return Object.keys(PROVIDERS);
}

export function getProvider(kind: string): Provider<any> {
  const provider = PROVIDERS[kind];
  if (!provider) throw new Error(`unknown provider ${kind}`);
  return provider;
}
