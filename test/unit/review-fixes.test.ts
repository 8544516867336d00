import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/diff/redact.js';
import { DEFAULT_SEVERITY_RULES } from '../../src/diff/severity.js';
import { parseFormat } from '../../src/formats/index.js';
import { emptyState } from '../../src/history/target-state.js';
import { parseCaddyJson } from '../../src/providers/caddy/model.js';
import { parseHaproxy } from '../../src/providers/haproxy/model.js';
import { splitNginxDump } from '../../src/providers/nginx/lexer.js';
import { runShell } from '../../src/providers/shared/exec.js';
import { compareConfigs } from '../../src/reconcile/compare.js';
import { decide } from '../../src/reconcile/decide.js';

const redactor = new Redactor(Buffer.alloc(32, 1));
const rules = DEFAULT_SEVERITY_RULES;

describe('edge cases found in review', () => {
  it('redacts secrets inside one-line directives of the HAProxy and nginx models', () => {
    const a = parseHaproxy('userlist admins\n    user admin insecure-password oldpass\n', 'a');
    const b = parseHaproxy('userlist admins\n    user admin insecure-password hunter2\n', 'b');
    const c = compareConfigs(a, b, { rules, ignore: [], redactor });
    expect(c.inSync).toBe(false);
    expect(JSON.stringify(c.changes)).not.toMatch(/oldpass|hunter2/);
  });

  it('keeps content under a __proto__ key as data', () => {
    const a = parseFormat('a: 1\n', 'a.yaml', 'yaml');
    const b = parseFormat('a: 1\n__proto__: {x: 1}\n', 'b.yaml', 'yaml');
    expect(compareConfigs(a, b, { rules, ignore: [], redactor }).inSync).toBe(false);
  });

  it('sees the same Caddy upstream listed twice (it gets twice the traffic)', () => {
    const cfg = (dials: string[]) => JSON.stringify({ apps: { http: { servers: { s: { listen: [':1'], routes: [{ handle: [{ handler: 'reverse_proxy', upstreams: dials.map((dial) => ({ dial })) }] }] } } } } });
    const c = compareConfigs(parseCaddyJson(cfg(['a:1', 'b:1']), 'a'), parseCaddyJson(cfg(['a:1', 'a:1', 'b:1']), 'b'), { rules, ignore: [], redactor });
    expect(c.changes.map((x) => x.summary)).toEqual(['route s/0: server a:1 #2 added: a:1']);
  });

  it('does not take a config comment for an nginx -T file header', () => {
    const dump = '# configuration file /etc/nginx/nginx.conf:\n# configuration file for edge proxies:\nhttp {\n}\n\n';
    expect(splitNginxDump(dump).map((f) => f.file)).toEqual(['/etc/nginx/nginx.conf']);
  });

  it('a reload command that leaves a background job behind still times out, and says so', async () => {
    const started = Date.now();
    const r = await runShell('sleep 5 & echo started', { timeoutMs: 500 });
    expect(r).toMatchObject({ timedOut: true, code: null });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a failed observation between two equal drifts records nothing new; drift then in sync is resolved', () => {
    const policy = { maxReverts: 3, windowMs: 3_600_000, backoffInitialMs: 2_000, backoffMaxMs: 300_000 };
    const ctx = { mode: 'alert' as const, now: new Date(), policy, gitStale: false, key: null, approvedEmptyPool: null, canApply: true };
    const afterError = { ...emptyState('t'), status: 'error' as const, error: 'x', fingerprint: 'f1' };
    const cmp = (fingerprint: string | null) => ({ kind: 'compared' as const, comparison: { inSync: fingerprint === null, approvedHash: 'a', liveHash: 'b', fingerprint, changes: [], severity: null, approvedText: '', liveText: '' } });
    expect(decide(afterError, cmp(null), ctx).event).toBe('drift.resolved');
    expect(decide(afterError, cmp('f1'), ctx).event).toBeNull();
    expect(decide(afterError, cmp('f2'), ctx).event).toBe('drift.changed');
  });

  it('refuses to revert a drift that lives in an included file', () => {
    const policy = { maxReverts: 3, windowMs: 3_600_000, backoffInitialMs: 2_000, backoffMaxMs: 300_000 };
    const comparison = { inSync: false, approvedHash: 'a', liveHash: 'b', fingerprint: 'f', changes: [{ path: 'upstreams.app.algorithm', kind: 'changed' as const, severity: 'critical' as const, file: '/etc/nginx/conf.d/app.conf' }], severity: 'critical' as const, approvedText: '', liveText: '' };
    const d = decide({ ...emptyState('t'), status: 'drifted', fingerprint: 'f' }, { kind: 'compared', comparison }, { mode: 'revert', now: new Date(), policy, gitStale: false, key: 'k', approvedEmptyPool: null, canApply: true });
    expect(d.action).toMatchObject({ kind: 'refuse', reason: 'included-file', detail: expect.stringContaining('/etc/nginx/conf.d/app.conf') });
    const pr = decide({ ...emptyState('t'), status: 'drifted', fingerprint: 'f' }, { kind: 'compared', comparison }, { mode: 'pr', now: new Date(), policy, gitStale: false, key: 'k', approvedEmptyPool: null, canApply: true });
    expect(pr.action).toMatchObject({ kind: 'refuse', reason: 'included-file', detail: expect.stringContaining('pull request proposes the main file only') });
  });
});
