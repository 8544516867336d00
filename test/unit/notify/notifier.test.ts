import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifySink } from '../../../src/config/types.js';
import { HistoryStore } from '../../../src/history/store.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { Notification } from '../../../src/notify/message.js';
import { Notifier, RETRY_DELAYS_MS } from '../../../src/notify/notifier.js';
import { slackPayload } from '../../../src/notify/slack.js';
import { HttpSink } from '../../helpers/http-sink.js';
import { tempDir } from '../../helpers/tmp.js';

const drift = (over: Partial<Notification> = {}): Notification => ({
  event: 'drift.detected',
  target: 'edge',
  time: '2026-11-27T10:00:00.000Z',
  severity: 'critical',
  summary: 'edge: drifted (critical), 2 change(s); backend api: balance roundrobin -> random',
  commit: 'a'.repeat(40),
  fingerprint: 'fp1',
  changeCount: 7,
  changes: [
    { path: 'backends.api.algorithm', kind: 'changed', approved: 'roundrobin', live: 'random', severity: 'critical' },
    { path: 'backends.api.servers.s2.weight', kind: 'changed', approved: 10, live: 50, severity: 'high' },
  ] as Notification['changes'],
  provenance: { kind: 'unapproved', branch: 'test/random-lb', commit: 'b'.repeat(40), date: '2026-11-26', subject: 'TEST ONLY: random <lb>', searched: 3, truncated: false },
  pr: { number: 12, url: 'https://github.com/acme/lb/pull/12', state: 'open' },
  ...over,
});

describe('Notifier', () => {
  let sink: HttpSink;
  let history: HistoryStore;
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(async () => {
    sink = new HttpSink();
    clock = Date.parse('2026-11-27T10:00:00Z');
    history = new HistoryStore(join(tempDir(), 'history.db'), now);
  });
  afterEach(async () => {
    history.close();
    await sink.stop();
  });

  const webhook = async (over: Partial<NotifySink> = {}): Promise<NotifySink> => ({ kind: 'webhook', url: await sink.start(), timeoutMs: 2_000, remindEveryMs: 86_400_000, ...over });
  const types = () => history.query({ limit: 100 }).map((e) => e.type);

  it('queues without sending; a drain delivers and records alert.sent by origin only', async () => {
    const n = new Notifier(history, [await webhook()], 'service', silentLogger, now);
    n.enqueue(drift());
    expect(sink.bodies).toHaveLength(0);
    expect(n.stats().pending).toBe(1);
    await n.drain();
    expect(JSON.parse(sink.bodies[0] as string)).toMatchObject({ event: 'drift.detected', target: 'edge', pr: { number: 12 } });
    expect(n.stats()).toMatchObject({ pending: 0, sent: 1 });
    const sent = history.query({ type: 'alert' })[0];
    expect(sent?.reason).toMatch(/^notified http:\/\/127\.0\.0\.1:\d+ \(webhook\) of drift\.detected$/);
    expect(JSON.stringify(history.query({}))).not.toContain('secret-path-token');
  });

  it('retries a failing sink with backoff, survives a restart, and gives up after the last attempt', async () => {
    const hook = await webhook();
    let n = new Notifier(history, [hook], 'service', silentLogger, now);
    sink.status = 503;
    n.enqueue(drift());
    await n.drain();
    expect(history.query({ type: 'alert' }).map((e) => e.reason)).toEqual([expect.stringMatching(/: HTTP 503; retrying in 5s \(attempt 1 of 7\)$/)]);
    await n.drain(); // not due yet: nothing is sent
    expect(sink.bodies).toHaveLength(1);

    // A restart: a new notifier on the same database finds the queued notification.
    history.close();
    history = new HistoryStore(history.file, now);
    n = new Notifier(history, [hook], 'service', silentLogger, now);
    clock += RETRY_DELAYS_MS[0] as number;
    sink.status = 204;
    await n.drain();
    expect(sink.bodies).toHaveLength(2);
    expect(history.query({ type: 'alert' }).at(-1)?.reason).toMatch(/of drift\.detected at attempt 2$/);

    sink.status = 500;
    n.enqueue(drift({ event: 'drift.changed', fingerprint: 'fp2' }));
    for (const delay of [0, ...RETRY_DELAYS_MS]) {
      clock += delay;
      await n.drain();
    }
    expect(history.query({ type: 'alert' }).at(-1)?.reason).toMatch(/HTTP 500; given up after 7 attempt\(s\)$/);
    expect(n.stats().pending).toBe(0);
  });

  it('does not retry an answer that will not change (HTTP 404)', async () => {
    const n = new Notifier(history, [await webhook()], 'service', silentLogger, now);
    sink.status = 404;
    n.enqueue(drift());
    await n.drain();
    expect(history.query({ type: 'alert' })[0]?.reason).toMatch(/HTTP 404; given up after 1 attempt\(s\)$/);
  });

  it('reminds of an unchanged drift once per remindEvery, per sink; a resolved drift stops reminders', async () => {
    const n = new Notifier(history, [await webhook({ remindEveryMs: 3_600_000 })], 'service', silentLogger, now);
    const reminder = () => drift({ event: 'drift.reminder', reminder: { since: '2026-11-27T10:00:00.000Z' } });
    n.enqueue(drift());
    n.remindIfDue('edge', 'fp1', reminder);
    clock += 3_599_000;
    n.remindIfDue('edge', 'fp1', reminder);
    await n.drain();
    expect(sink.bodies.map((b) => JSON.parse(b).event)).toEqual(['drift.detected']);
    clock += 1_000;
    n.remindIfDue('edge', 'fp1', reminder);
    n.remindIfDue('edge', 'fp1', reminder);
    await n.drain();
    expect(sink.bodies.map((b) => JSON.parse(b).event)).toEqual(['drift.detected', 'drift.reminder']);
    // A different drift is announced by its own event, and the clock starts again.
    clock += 3_600_000;
    n.remindIfDue('edge', 'fp2', reminder);
    n.enqueue(drift({ event: 'drift.resolved', fingerprint: null }));
    clock += 3_600_000;
    n.remindIfDue('edge', 'fp2', reminder);
    await n.drain();
    expect(sink.bodies.map((b) => JSON.parse(b).event)).toEqual(['drift.detected', 'drift.reminder', 'drift.resolved']);
  });

  it('never blocks: enqueue returns at once even when the sink never answers', async () => {
    const n = new Notifier(history, [{ kind: 'webhook', url: 'http://127.0.0.1:9/never', timeoutMs: 500, remindEveryMs: 0 }], 'service', silentLogger, now);
    const started = performance.now();
    for (let i = 0; i < 100; i++) n.enqueue(drift({ fingerprint: `fp${i}` }));
    expect(n.stats().pending).toBe(100);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reads a sink URL from its environment variable when sending, and says when it is not set', async () => {
    const url = await sink.start();
    const n = new Notifier(history, [{ kind: 'slack', urlEnv: 'DW_TEST_SLACK_URL', timeoutMs: 2_000, remindEveryMs: 0 }], 'service', silentLogger, now);
    delete process.env.DW_TEST_SLACK_URL;
    n.enqueue(drift());
    await n.drain();
    expect(history.query({ type: 'alert' })[0]?.reason).toMatch(/environment variable DW_TEST_SLACK_URL is not set; retrying/);
    process.env.DW_TEST_SLACK_URL = url;
    clock += 5_000;
    await n.drain();
    delete process.env.DW_TEST_SLACK_URL;
    expect(JSON.parse(sink.bodies[0] as string).blocks).toBeDefined();
  });
});

describe('slackPayload', () => {
  it('is readable: headline with target and severity, top changes, PR link, provenance; escapes mrkdwn', () => {
    const p = slackPayload(drift());
    const text = JSON.stringify(p.blocks);
    expect(p.text).toBe('new drift: edge: edge: drifted (critical), 2 change(s); backend api: balance roundrobin -> random (PR https://github.com/acme/lb/pull/12)');
    expect(text).toContain(':rotating_light: new drift: *edge* (critical)');
    expect(text).toContain('• `critical` backends.api.algorithm: roundrobin -&gt; random');
    expect(text).toContain('_… and 5 more_');
    expect(text).toContain('<https://github.com/acme/lb/pull/12|#12> (open)');
    expect(text).toContain('TEST ONLY: random &lt;lb&gt;');
  });

  it('says what happened for non-drift events', () => {
    const p = slackPayload(drift({ event: 'revert.applied', summary: 'edge: revert.applied: reverted to aaaaaaaaaaaa', changes: [], pr: null }));
    expect(JSON.stringify(p.blocks)).toContain('reverted to Git: *edge*\\nedge: revert.applied: reverted to aaaaaaaaaaaa');
  });
});
