import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HistoryStore } from '../../../src/history/store.js';
import { emptyState } from '../../../src/history/target-state.js';
import { silentLogger } from '../../../src/log/logger.js';
import { handleGitHubWebhook } from '../../../src/service/github-webhook.js';
import { createHttpServer, type HttpDeps } from '../../../src/service/http.js';
import { scheduleGroups } from '../../../src/service/scheduler.js';
import { isLoopback, requiredToken } from '../../../src/service/service.js';
import { tempDir } from '../../helpers/tmp.js';

const CONFIG = `git:\n  repo: ./approved\nschedule: "*/5 * * * *"\ntargets:\n  - { name: a, desired: a.yaml, provider: file, path: a.yaml }\n  - { name: b, desired: b.yaml, provider: file, path: b.yaml, schedule: "* * * * * *" }\n  - { name: c, desired: c.yaml, provider: file, path: c.yaml }\n`;

describe('scheduleGroups', () => {
  it('one group for all targets when none has its own schedule; else one per schedule', () => {
    const config = parseConfig(CONFIG, '/x/driftwarden.yaml');
    expect(scheduleGroups(config)).toEqual([
      { schedule: '*/5 * * * *', targets: ['a', 'c'] },
      { schedule: '* * * * * *', targets: ['b'] },
    ]);
    const plain = parseConfig(CONFIG.replace(', schedule: "* * * * * *"', ''), '/x/driftwarden.yaml');
    expect(scheduleGroups(plain)).toEqual([{ schedule: '*/5 * * * *', targets: undefined }]);
  });

  it('refuses a bad per-target schedule and a bad listen address with their lines', () => {
    const bad = CONFIG.replace('"* * * * * *"', '"every minute"') + 'listen: "localhost"\n';
    expect(() => parseConfig(bad, '/x/driftwarden.yaml')).toThrow(/driftwarden\.yaml:6:\d+: targets\[1\]\.schedule: not a valid cron expression/);
    expect(() => parseConfig(bad, '/x/driftwarden.yaml')).toThrow(/driftwarden\.yaml:8:\d+: listen: host:port, e\.g\. 127\.0\.0\.1:9464/);
  });
});

describe('GitHub webhooks', () => {
  const secret = 's3cret';
  const sign = (body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const config = parseConfig(CONFIG.replace('repo: ./approved', 'repo: ./approved\n  branch: main'), '/x/driftwarden.yaml');
  let history: HistoryStore;
  afterEach(() => history?.close());

  const verdict = (event: string, payload: unknown, signature?: string) => {
    const body = JSON.stringify(payload);
    return handleGitHubWebhook(secret, { event, signature: signature ?? sign(body), delivery: 'd1' }, body, config, history);
  };

  it('a push to the approved branch asks for every target; other branches and events are ignored', async () => {
    history = new HistoryStore(join(tempDir(), 'h.db'));
    expect(await verdict('push', { ref: 'refs/heads/main' })).toEqual({ kind: 'pass', request: { trigger: 'webhook', detail: 'push to main (delivery d1)' } });
    expect(await verdict('push', { ref: 'refs/heads/dev' })).toMatchObject({ kind: 'ignored' });
    expect(await verdict('ping', { zen: 'x' })).toMatchObject({ kind: 'ignored', reason: 'ping' });
    expect(await verdict('issues', {})).toMatchObject({ kind: 'ignored', reason: 'event issues is not used' });
  });

  it('a closed drift PR asks for its own target; an opened PR or a closed unrelated one is ignored', async () => {
    history = new HistoryStore(join(tempDir(), 'h.db'));
    history.saveState({ ...emptyState('b'), pr: { number: 12, url: 'u', branch: 'x', fingerprint: 'f', bodyHash: 'h', state: 'open' } });
    expect(await verdict('pull_request', { action: 'closed', pull_request: { number: 12, merged: false } })).toEqual({ kind: 'pass', request: { trigger: 'webhook', targets: ['b'], detail: 'pull request #12 closed (delivery d1)' } });
    expect(await verdict('pull_request', { action: 'opened', pull_request: { number: 13 } })).toMatchObject({ kind: 'ignored' });
    expect(await verdict('pull_request', { action: 'closed', pull_request: { number: 13, merged: false } })).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not a drift pull request') });
    // Another PR merged into the approved branch may change approved files: every target.
    expect(await verdict('pull_request', { action: 'closed', pull_request: { number: 14, merged: true } })).toMatchObject({ kind: 'pass', request: { detail: expect.stringContaining('#14 merged') } });
  });

  it('checks the signature before anything else', async () => {
    history = new HistoryStore(join(tempDir(), 'h.db'));
    expect(await verdict('push', { ref: 'refs/heads/main' }, 'sha256=deadbeef')).toMatchObject({ kind: 'unauthorized' });
    expect(await handleGitHubWebhook(secret, { event: 'push' }, '{}', config, history)).toMatchObject({ kind: 'unauthorized', reason: 'missing X-Hub-Signature-256 header' });
    expect(await verdict('push', 'not json', sign('"other"'))).toMatchObject({ kind: 'unauthorized' });
  });
});

describe('write endpoints beyond loopback', () => {
  it('need the bearer token; without the env var they are off', () => {
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('10.0.0.5') || isLoopback('::')).toBe(false);
    expect(requiredToken('127.0.0.1', 'T', {})).toBeUndefined();
    expect(requiredToken('127.0.0.1', 'T', { T: 'x' })).toBe('x');
    expect(requiredToken('0.0.0.0', 'T', { T: 'x' })).toBe('x');
    expect(requiredToken('0.0.0.0', 'T', {})).toEqual({ missing: 'T' });
  });

  it('answer 403 naming the variable when it is not set, and read endpoints still work', async () => {
    const deps: HttpDeps = {
      log: silentLogger,
      readiness: () => ({ ready: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', text: '' }),
      status: () => ({ ok: true }),
      history: () => ({ events: [] }),
      reconcile: () => {
        throw new Error('must not be reached');
      },
      webhook: async () => ({ kind: 'disabled', reason: 'off' }),
      request: () => 'started',
      writeToken: () => requiredToken('0.0.0.0', 'DRIFTWARDEN_API_TOKEN', {}),
    };
    const server = createHttpServer(deps);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await fetch(`${base}/reconcile`, { method: 'POST', headers: { authorization: 'Bearer anything' } });
      expect(r.status).toBe(403);
      expect(((await r.json()) as any).error.message).toBe('write endpoints are off: the service listens beyond loopback and DRIFTWARDEN_API_TOKEN is not set');
      expect((await fetch(`${base}/status`)).status).toBe(200);
      expect((await fetch(`${base}/webhooks/github`, { method: 'POST', body: '{}' })).status).toBe(503);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
