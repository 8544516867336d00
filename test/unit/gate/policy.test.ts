import { describe, expect, it } from 'vitest';
import type { ConfigTree, TreeObject } from '../../../src/diff/tree.js';
import { algorithmName, evaluatePolicy, statesOf, type PolicyRule } from '../../../src/gate/policy.js';
import { parseHaproxy } from '../../../src/providers/haproxy/model.js';
import { parseNginxModel } from '../../../src/providers/nginx/model.js';

const haproxy = (text: string): ConfigTree => parseHaproxy(text, 'haproxy.cfg');
const nginx = (text: string): ConfigTree => parseNginxModel(text, 'nginx.conf');

/** A Caddy tree as the Caddy provider builds it (parsing Caddy needs its binary). */
function caddy(pool: TreeObject): ConfigTree {
  return {
    format: 'caddy',
    root: { backends: { 'srv0/0-0': pool } },
    lines: new Map<string, number>(),
    canonical: '',
    normalized: '',
    vocabulary: { collections: { backends: 'route' }, algorithm: 'lb_policy' },
  };
}

const ALLOW_RR_LC: PolicyRule = { name: 'algorithms', allow: { algorithm: ['roundrobin', 'leastconn'] } };

describe('algorithmName', () => {
  it('compares algorithms by their first word, lower case, without _ and -', () => {
    expect(algorithmName('roundrobin')).toBe('roundrobin');
    expect(algorithmName('round_robin')).toBe('roundrobin');
    expect(algorithmName('least_conn')).toBe('leastconn');
    expect(algorithmName('leastconn')).toBe('leastconn');
    expect(algorithmName('static-rr')).toBe('staticrr');
    expect(algorithmName('hash $request_uri consistent')).toBe('hash');
    expect(algorithmName('random(2)')).toBe('random');
    expect(algorithmName('hdr(host)')).toBe('hdr');
    expect(algorithmName('  First ')).toBe('first');
  });
});

describe('statesOf', () => {
  it('names disabled and down together, weight 0 as drain, and backup', () => {
    expect(statesOf({ weight: 1, backup: false, disabled: false })).toEqual([]);
    expect(statesOf({ disabled: true })).toEqual(['disabled', 'down']);
    expect(statesOf({ down: true })).toEqual(['disabled', 'down']);
    expect(statesOf({ maintenance: true })).toEqual(['disabled', 'down']);
    expect(statesOf({ weight: 0 })).toEqual(['drain']);
    expect(statesOf({ drain: true })).toEqual(['drain']);
    expect(statesOf({ backup: true })).toEqual(['backup']);
    expect(statesOf({ disabled: true, weight: 0, backup: true })).toEqual(['disabled', 'down', 'drain', 'backup']);
  });
});

describe('allow.algorithm', () => {
  it('HAProxy balance first is a violation at the balance line', () => {
    const tree = haproxy(['backend api', '    balance first', '    server api-1 10.0.0.1:80 check', '    server api-2 10.0.0.2:80 check', ''].join('\n'));
    const result = evaluatePolicy([ALLOW_RR_LC], 'prod-lb', tree);
    expect(result.rules).toEqual(['algorithms']);
    expect(result.violations).toEqual([
      {
        rule: 'algorithms',
        pool: 'backend api',
        path: 'backends.api.algorithm',
        line: 2,
        message: 'backend api: balance first is not allowed (allowed: roundrobin, leastconn)',
      },
    ]);
  });

  it('a HAProxy backend without balance counts as roundrobin', () => {
    const tree = haproxy(['backend web', '    server web-1 10.0.0.1:80 check', ''].join('\n'));
    expect(evaluatePolicy([ALLOW_RR_LC], 'prod-lb', tree).violations).toEqual([]);
    const onlyFirst = evaluatePolicy([{ name: 'first-only', allow: { algorithm: ['first'] } }], 'prod-lb', tree);
    // No balance line: the violation points at the backend's line.
    expect(onlyFirst.violations).toEqual([
      { rule: 'first-only', pool: 'backend web', path: 'backends.web.algorithm', line: 1, message: 'backend web: balance roundrobin is not allowed (allowed: first)' },
    ]);
  });

  it('one rule covers nginx too: least_conn by leastconn, the default round_robin by roundrobin', () => {
    const tree = nginx(
      [
        'http {',
        '  upstream app {',
        '    least_conn;',
        '    server 10.0.0.1:80;',
        '  }',
        '  upstream web {',
        '    server 10.0.0.2:80;',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(evaluatePolicy([ALLOW_RR_LC], 'prod-lb', tree).violations).toEqual([]);
    const leastOnly = evaluatePolicy([{ name: 'lc', allow: { algorithm: ['least_conn'] } }], 'prod-lb', tree);
    expect(leastOnly.violations).toEqual([
      { rule: 'lc', pool: 'upstream web', path: 'upstreams.web.algorithm', line: 6, message: 'upstream web: method round_robin is not allowed (allowed: least_conn)' },
    ]);
  });

  it('nginx hash $request_uri consistent matches allow [hash]', () => {
    const tree = nginx(['upstream cache {', '    hash $request_uri consistent;', '    server 10.0.1.1:80;', '}', ''].join('\n'));
    expect(evaluatePolicy([{ name: 'hash', allow: { algorithm: ['hash'] } }], 'prod-lb', tree).violations).toEqual([]);
    expect(evaluatePolicy([ALLOW_RR_LC], 'prod-lb', tree).violations).toEqual([
      {
        rule: 'algorithms',
        pool: 'upstream cache',
        path: 'upstreams.cache.algorithm',
        line: 2,
        message: 'upstream cache: method hash $request_uri consistent is not allowed (allowed: roundrobin, leastconn)',
      },
    ]);
  });

  it('Caddy speaks of lb_policy and its route', () => {
    const tree = caddy({ algorithm: 'first', servers: { '127.0.0.1:1': { address: '127.0.0.1:1' } } });
    expect(evaluatePolicy([{ name: 'rr', allow: { algorithm: ['roundrobin'] } }], 'prod-lb', tree).violations).toEqual([
      { rule: 'rr', pool: 'route srv0/0-0', path: 'backends.srv0/0-0.algorithm', message: 'route srv0/0-0: lb_policy first is not allowed (allowed: roundrobin)' },
    ]);
  });
});

describe('forbid.algorithm', () => {
  const rule: PolicyRule = { name: 'no-first', forbid: { algorithm: ['first', 'source'] } };

  it('names the forbidden algorithm at its line, in every provider', () => {
    const tree = haproxy(['backend api', '    balance first', '    server api-1 10.0.0.1:80', 'backend web', '    balance source', '    server web-1 10.0.0.2:80', 'backend ok', '    balance leastconn', '    server ok-1 10.0.0.3:80', ''].join('\n'));
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations).toEqual([
      { rule: 'no-first', pool: 'backend api', path: 'backends.api.algorithm', line: 2, message: 'backend api: balance first is forbidden' },
      { rule: 'no-first', pool: 'backend web', path: 'backends.web.algorithm', line: 5, message: 'backend web: balance source is forbidden' },
    ]);
    const rr = evaluatePolicy([{ name: 'no-rr', forbid: { algorithm: ['round_robin'] } }], 'prod-lb', tree);
    expect(rr.violations).toEqual([]);
  });

  it('forbidding roundrobin catches the nginx default (no method line)', () => {
    const tree = nginx(['upstream app {', '    server 10.0.0.1:80;', '}', ''].join('\n'));
    expect(evaluatePolicy([{ name: 'no-rr', forbid: { algorithm: ['roundrobin'] } }], 'prod-lb', tree).violations).toEqual([
      { rule: 'no-rr', pool: 'upstream app', path: 'upstreams.app.algorithm', line: 1, message: 'upstream app: method round_robin is forbidden' },
    ]);
  });

  it('Caddy first is forbidden', () => {
    const tree = caddy({ algorithm: 'first', servers: { '127.0.0.1:1': { address: '127.0.0.1:1' } } });
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations.map((v) => v.message)).toEqual(['route srv0/0-0: lb_policy first is forbidden']);
  });
});

describe('forbid.serverState', () => {
  const HAPROXY_STATES = [
    'backend api',
    '    balance roundrobin',
    '    server api-1 10.0.0.1:80 check',
    '    server api-2 10.0.0.2:80 check disabled',
    '    server api-3 10.0.0.3:80 check weight 0',
    '    server api-4 10.0.0.4:80 check backup',
    '',
  ].join('\n');

  it('HAProxy disabled, weight 0 (drain) and backup servers, each at its server line', () => {
    const tree = haproxy(HAPROXY_STATES);
    const rule: PolicyRule = { name: 'states', forbid: { serverState: ['disabled', 'drain', 'backup'] } };
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations).toEqual([
      { rule: 'states', pool: 'backend api', path: 'backends.api.servers.api-2', line: 4, message: 'backend api: server api-2 is disabled' },
      { rule: 'states', pool: 'backend api', path: 'backends.api.servers.api-3', line: 5, message: 'backend api: server api-3 is drain' },
      { rule: 'states', pool: 'backend api', path: 'backends.api.servers.api-4', line: 6, message: 'backend api: server api-4 is backup' },
    ]);
  });

  it('HAProxy disabled is down too; only the forbidden states are reported', () => {
    const tree = haproxy(HAPROXY_STATES);
    expect(evaluatePolicy([{ name: 'down', forbid: { serverState: ['down'] } }], 'prod-lb', tree).violations.map((v) => [v.line, v.message])).toEqual([
      [4, 'backend api: server api-2 is down'],
    ]);
    expect(evaluatePolicy([{ name: 'backup', forbid: { serverState: ['backup'] } }], 'prod-lb', tree).violations.map((v) => [v.line, v.message])).toEqual([
      [6, 'backend api: server api-4 is backup'],
    ]);
  });

  it('nginx down matches both disabled and down', () => {
    const tree = nginx(['upstream app {', '    server 10.0.0.1:80;', '    server 10.0.0.2:80 down;', '    server 10.0.0.3:80 backup;', '}', ''].join('\n'));
    const down = '"10.0.0.2:80"';
    expect(evaluatePolicy([{ name: 'd', forbid: { serverState: ['disabled'] } }], 'prod-lb', tree).violations).toEqual([
      { rule: 'd', pool: 'upstream app', path: `upstreams.app.servers.${down}`, line: 3, message: 'upstream app: server 10.0.0.2:80 is disabled' },
    ]);
    expect(evaluatePolicy([{ name: 'd', forbid: { serverState: ['down'] } }], 'prod-lb', tree).violations).toEqual([
      { rule: 'd', pool: 'upstream app', path: `upstreams.app.servers.${down}`, line: 3, message: 'upstream app: server 10.0.0.2:80 is down' },
    ]);
    expect(evaluatePolicy([{ name: 'd', forbid: { serverState: ['disabled', 'down', 'backup'] } }], 'prod-lb', tree).violations.map((v) => [v.line, v.message])).toEqual([
      [3, 'upstream app: server 10.0.0.2:80 is disabled and down'],
      [4, 'upstream app: server 10.0.0.3:80 is backup'],
    ]);
  });
});

describe('require.minServersPerPool', () => {
  it('backup, disabled and weight-0 servers do not count (HAProxy)', () => {
    const tree = haproxy(
      [
        'backend api',
        '    server api-1 10.0.0.1:80 check',
        '    server api-2 10.0.0.2:80 check disabled',
        '    server api-3 10.0.0.3:80 check weight 0',
        '    server api-4 10.0.0.4:80 check backup',
        'backend web',
        '    server web-1 10.0.0.5:80 check',
        '    server web-2 10.0.0.6:80 check',
        '',
      ].join('\n'),
    );
    expect(evaluatePolicy([{ name: 'two', require: { minServersPerPool: 2 } }], 'prod-lb', tree).violations).toEqual([
      {
        rule: 'two',
        pool: 'backend api',
        path: 'backends.api',
        line: 1,
        message: 'backend api: 1 server(s) able to take traffic, at least 2 required (backup, disabled, down and weight-0 servers do not count)',
      },
    ]);
    expect(evaluatePolicy([{ name: 'one', require: { minServersPerPool: 1 } }], 'prod-lb', tree).violations).toEqual([]);
  });

  it('nginx down and backup servers do not count', () => {
    const tree = nginx(['http {', '  upstream app {', '    server 10.0.0.1:80 down;', '    server 10.0.0.2:80 backup;', '  }', '}', ''].join('\n'));
    expect(evaluatePolicy([{ name: 'one', require: { minServersPerPool: 1 } }], 'prod-lb', tree).violations.map((v) => [v.line, v.message])).toEqual([
      [2, 'upstream app: 0 server(s) able to take traffic, at least 1 required (backup, disabled, down and weight-0 servers do not count)'],
    ]);
  });
});

describe('require.healthChecks', () => {
  const rule: PolicyRule = { name: 'checks', require: { healthChecks: true } };

  it('a HAProxy server without check is a violation at its line; with check it is not; backups are not asked', () => {
    const tree = haproxy(['backend api', '    server api-1 10.0.0.1:80 check', '    server api-2 10.0.0.2:80', '    server api-3 10.0.0.3:80 backup', ''].join('\n'));
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations).toEqual([
      { rule: 'checks', pool: 'backend api', path: 'backends.api.servers.api-2', line: 3, message: 'backend api: server api-2 has no health check' },
    ]);
  });

  it('HAProxy default-server check covers the servers after it', () => {
    const tree = haproxy(['backend api', '    default-server check', '    server api-1 10.0.0.1:80', '    server api-2 10.0.0.2:80 no-check', ''].join('\n'));
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations.map((v) => [v.line, v.message])).toEqual([[4, 'backend api: server api-2 has no health check']]);
  });

  it('nginx max_fails=0 turns the passive check off', () => {
    const tree = nginx(['upstream app {', '    server 10.0.0.1:80;', '    server 10.0.0.2:80 max_fails=0;', '    server 10.0.0.3:80 max_fails=3;', '}', ''].join('\n'));
    expect(evaluatePolicy([rule], 'prod-lb', tree).violations).toEqual([
      { rule: 'checks', pool: 'upstream app', path: 'upstreams.app.servers."10.0.0.2:80"', line: 3, message: 'upstream app: server 10.0.0.2:80 has no health check' },
    ]);
  });

  it('a Caddy pool without active health checks is a violation; with them it is not', () => {
    const servers = { '127.0.0.1:1': { address: '127.0.0.1:1' } };
    expect(evaluatePolicy([rule], 'prod-lb', caddy({ algorithm: 'first', servers })).violations).toEqual([
      { rule: 'checks', pool: 'route srv0/0-0', path: 'backends.srv0/0-0.servers."127.0.0.1:1"', message: 'route srv0/0-0: server 127.0.0.1:1 has no health check' },
    ]);
    const checked = caddy({ algorithm: 'first', servers, health_checks: { active: { uri: '/health' } } });
    expect(evaluatePolicy([rule], 'prod-lb', checked).violations).toEqual([]);
    const passiveOnly = caddy({ algorithm: 'first', servers, health_checks: { passive: { max_fails: 3 } } });
    expect(evaluatePolicy([rule], 'prod-lb', passiveOnly).violations).toHaveLength(1);
  });
});

describe('targets', () => {
  const tree = haproxy(['backend api', '    balance first', '    server api-1 10.0.0.1:80', ''].join('\n'));
  const rules: PolicyRule[] = [
    { name: 'prod', targets: 'prod-*', forbid: { algorithm: ['first'] } },
    { name: 'edges', targets: '{edge,prod}-lb', require: { healthChecks: true } },
    { name: 'everywhere', require: { minServersPerPool: 1 } },
  ];

  it('a glob rule applies to the targets it matches, a rule without targets to all', () => {
    const prod = evaluatePolicy(rules, 'prod-lb', tree);
    expect(prod.rules).toEqual(['prod', 'edges', 'everywhere']);
    expect(prod.violations.map((v) => `${v.rule}: ${v.message}`)).toEqual(['prod: backend api: balance first is forbidden', 'edges: backend api: server api-1 has no health check']);

    const staging = evaluatePolicy(rules, 'staging-lb', tree);
    expect(staging.rules).toEqual(['everywhere']);
    expect(staging.violations).toEqual([]);

    expect(evaluatePolicy(rules, 'edge-lb', tree).rules).toEqual(['edges', 'everywhere']);
    expect(evaluatePolicy(rules, 'edge-lb-2', tree).rules).toEqual(['everywhere']);
    expect(evaluatePolicy(rules, 'prod', tree).rules).toEqual(['everywhere']);
  });
});

describe('trees without pools', () => {
  it('a plain-file tree (root null) gives no violations', () => {
    const plain: ConfigTree = { format: 'text', root: null, lines: new Map<string, number>(), canonical: 'x', normalized: 'x' };
    const strict: PolicyRule = { name: 'all', allow: { algorithm: ['roundrobin'] }, forbid: { serverState: ['disabled', 'down', 'drain', 'backup'] }, require: { minServersPerPool: 3, healthChecks: true } };
    expect(evaluatePolicy([strict], 'prod-lb', plain)).toEqual({ rules: ['all'], violations: [] });
  });

  it('HAProxy frontends and defaults are not pools', () => {
    const tree = haproxy(['defaults', '    mode http', 'frontend fe', '    bind :80', '    default_backend api', ''].join('\n'));
    expect(evaluatePolicy([{ name: 'min', require: { minServersPerPool: 1 } }], 'prod-lb', tree).violations).toEqual([]);
  });
});

describe('listen sections', () => {
  it('are pools too', () => {
    const tree = haproxy(['listen mysql', '    bind :3306', '    balance first', '    server db-1 10.0.0.1:3306', '    server db-2 10.0.0.2:3306 check backup', ''].join('\n'));
    const rules: PolicyRule[] = [
      { name: 'algorithms', allow: { algorithm: ['roundrobin', 'leastconn'] } },
      { name: 'checks', require: { healthChecks: true, minServersPerPool: 2 } },
    ];
    expect(evaluatePolicy(rules, 'prod-lb', tree).violations).toEqual([
      { rule: 'algorithms', pool: 'listen mysql', path: 'listens.mysql.algorithm', line: 3, message: 'listen mysql: balance first is not allowed (allowed: roundrobin, leastconn)' },
      { rule: 'checks', pool: 'listen mysql', path: 'listens.mysql.servers.db-1', line: 4, message: 'listen mysql: server db-1 has no health check' },
      {
        rule: 'checks',
        pool: 'listen mysql',
        path: 'listens.mysql',
        line: 1,
        message: 'listen mysql: 1 server(s) able to take traffic, at least 2 required (backup, disabled, down and weight-0 servers do not count)',
      },
    ]);
  });
});

describe('path rules: timeouts, TLS and any other setting of the model', () => {
  const cfg = [
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 10s',
    '',
    'frontend web',
    '    bind :443 ssl crt /etc/ssl/site.pem ssl-min-ver TLSv1.0',
    '    default_backend api',
    '',
    'backend api',
    '    server a 10.0.0.1:80 check',
    '    server b 10.0.0.2:80 check',
    '',
  ].join('\n');

  it('require.paths: each glob must match a setting; a missing timeout is named', () => {
    const rule: PolicyRule = { name: 'timeouts', require: { paths: ['defaults.*.timeout.connect', 'defaults.*.timeout.server'] } };
    expect(evaluatePolicy([rule], 'lb', haproxy(cfg)).violations).toEqual([
      { rule: 'timeouts', pool: '', path: '', message: 'no setting matches defaults.*.timeout.server (required)' },
    ]);
    expect(evaluatePolicy([rule], 'lb', haproxy(cfg.replace('    timeout client 10s', '    timeout client 10s\n    timeout server 10s'))).violations).toEqual([]);
  });

  it('forbid.values: a word in a value (TLS versions), with the line of the setting', () => {
    const rule: PolicyRule = { name: 'modern TLS', forbid: { values: { 'frontends.*.bind': ['TLSv1.0', 'tlsv1.1'] } } };
    expect(evaluatePolicy([rule], 'lb', haproxy(cfg)).violations).toEqual([
      { rule: 'modern TLS', pool: '', path: 'frontends.web.bind[0]', line: 7, message: 'frontends.web.bind[0]: TLSv1.0 is forbidden' },
    ]);
    expect(evaluatePolicy([rule], 'lb', haproxy(cfg.replace('TLSv1.0', 'TLSv1.2'))).violations).toEqual([]);
    const ngx = nginx('http {\n    ssl_protocols TLSv1 TLSv1.2;\n    server { listen 80; }\n}\n');
    expect(evaluatePolicy([{ name: 'tls', forbid: { values: { '**.ssl_protocols': ['TLSv1'] } } }], 'lb', ngx).violations).toEqual([
      { rule: 'tls', pool: '', path: 'http.ssl_protocols', line: 2, message: 'http.ssl_protocols: TLSv1 is forbidden' },
    ]);
  });

  it('forbid.paths: a setting that must not be there', () => {
    const rule: PolicyRule = { name: 'no tcp mode', forbid: { paths: ['**.mode'] } };
    expect(evaluatePolicy([rule], 'lb', haproxy(cfg)).violations.map((v) => [v.path, v.line, v.message])).toEqual([
      ['defaults.(1).mode', 2, 'defaults.(1).mode is set (forbidden by **.mode)'],
      ['backends.api.mode', 10, 'backends.api.mode is set (forbidden by **.mode)'],
    ]);
  });

  it('a tree without semantics (a text file) breaks no path rule', () => {
    const text: ConfigTree = { format: 'text', root: null, lines: new Map(), canonical: 'x', normalized: 'x' };
    expect(evaluatePolicy([{ name: 'r', require: { paths: ['a.b'] } }], 'lb', text).violations).toEqual([]);
  });
});
