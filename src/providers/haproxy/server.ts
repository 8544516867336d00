/** A `server` line in the shared model: what balancing and health depend on, then the rest. */
export interface ServerSpec {
  address: string;
  weight: number;
  backup: boolean;
  disabled: boolean;
  check: boolean;
  maxconn?: string;
  health?: Record<string, string>;
  /** Other settings, `key value` pairs and flags, sorted: their order carries no meaning. */
  options?: string;
}

/** Server keywords that take no value. */
const FLAGS = new Set([
  'backup', 'check', 'disabled', 'enabled', 'ssl', 'no-ssl', 'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl',
  'send-proxy-v2-ssl-cn', 'no-send-proxy', 'check-ssl', 'no-check-ssl', 'check-send-proxy', 'no-check', 'no-backup',
  'agent-check', 'no-agent-check', 'non-stick', 'stick', 'tfo', 'no-tfo', 'allow-0rtt', 'no-verifyhost', 'check-via-socks4',
  'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'no-sslv3', 'no-tlsv10', 'no-tlsv11',
  'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'tls-tickets', 'ssl-reuse', 'no-ssl-reuse', 'resolve-net', 'ws',
]);
const HEALTH = new Set(['inter', 'fastinter', 'downinter', 'rise', 'fall', 'port', 'addr', 'slowstart', 'observe', 'error-limit', 'on-error', 'on-marked-down', 'on-marked-up', 'check-sni', 'agent-port', 'agent-inter', 'agent-send', 'agent-addr']);

/** `server NAME ADDRESS [params]` (or `default-server [params]`), starting from `default-server` settings. */
export function parseServer(address: string, params: string[], defaults?: ServerSpec): ServerSpec {
  const spec: ServerSpec = {
    address,
    weight: defaults?.weight ?? 1,
    backup: defaults?.backup ?? false,
    disabled: defaults?.disabled ?? false,
    check: defaults?.check ?? false,
  };
  if (defaults?.maxconn) spec.maxconn = defaults.maxconn;
  if (defaults?.health) spec.health = { ...defaults.health };
  const options: string[] = defaults?.options ? [defaults.options] : [];
  for (let i = 0; i < params.length; i++) {
    const key = params[i] as string;
    const next = params[i + 1];
    if (FLAGS.has(key) || next === undefined) {
      if (key === 'backup') spec.backup = true;
      else if (key === 'no-backup') spec.backup = false;
      else if (key === 'disabled') spec.disabled = true;
      else if (key === 'enabled') spec.disabled = false;
      else if (key === 'check') spec.check = true;
      else if (key === 'no-check') spec.check = false;
      else options.push(key);
      continue;
    }
    i++;
    if (key === 'weight') spec.weight = Number.isFinite(Number(next)) ? Number(next) : spec.weight;
    else if (key === 'maxconn') spec.maxconn = next;
    else if (HEALTH.has(key)) (spec.health ??= {})[key] = next;
    else options.push(`${key} ${next}`);
  }
  if (options.length > 0) spec.options = options.sort().join(', ');
  return spec;
}
