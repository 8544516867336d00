/**
 * Benchmark 6: history growth.
 *
 *   npm run build && node bench/history-growth.mjs                 # both parts
 *   node bench/history-growth.mjs --part a --passes 10000 --targets 100 --budget 600
 *   node bench/history-growth.mjs --part b --events 1000000
 *
 * (a) Quiet passes add nothing: 100 in-sync file targets (half alert, half revert) and a temp Git
 *     repository; the built code's runPass({ record: true, act: true }) in a loop, in process (what
 *     `reconcile` and every pass of `run` do, without the CLI's start-up). Events are counted with
 *     SQL after the first pass and after the last. If the requested passes would take longer than
 *     --budget seconds (measured on the first passes), 1,000 run and the rest is EXTRAPOLATED, and
 *     the output says so.
 * (b) Queries stay fast on a big history: 1,000,000 events (200 targets, 20 types, one year) are
 *     written straight into a database with the schema of driftwarden 0.1.0 (one prepared
 *     statement, one transaction, hash chain computed with the built chain.js, as the store
 *     does); HistoryStore.append's own rate is measured first to say why. Then the current
 *     HistoryStore opens it (the upgrade of an existing database: CREATE INDEX IF NOT EXISTS), and
 *     each `history` filter the CLI takes runs 5 times through historyFilter + HistoryStore.query;
 *     the median is the figure. The SQL that query() ran is shown with EXPLAIN QUERY PLAN.
 *     `history verify` is timed once, as information, after one more append through the store.
 *
 * Prints tables, a JSON summary line and PASS/FAIL per goal. Exit 0 unless it crashes. Loopback
 * only (no network at all); removes its temp folders.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { syntheticEvents, targetName } from './lib/history-events.mjs';
import { OLD_SCHEMA } from './lib/history-old-schema.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(ROOT, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { openRuntime } = await dist('reconcile/runtime.js');
const { runPass } = await dist('reconcile/pass.js');
const { HistoryStore } = await dist('history/store.js');
const { historyFilter } = await dist('history/filter.js');
const { eventHash } = await dist('history/chain.js');
const { canonicalJson } = await dist('diff/tree.js');

const args = parseArgs(process.argv.slice(2));
const PART = args.part ?? 'all';
const PASSES = Number(args.passes ?? 10_000);
const TARGETS = Number(args.targets ?? 100);
const BUDGET_S = Number(args.budget ?? 600);
const EVENTS = Number(args.events ?? 1_000_000);
const EVENT_TARGETS = 200;
const QUERY_GOAL_MS = 200;
const RUNS = 5;

const summary = { bench: 'history-growth', node: process.version };
const goals = [];
const tmp = mkdtempSync(join(tmpdir(), 'dw-bench-history-'));

try {
  if (PART === 'all' || PART === 'a') summary.passes = await partA(join(tmp, 'a'));
  if (PART === 'all' || PART === 'b') summary.queries = await partB(join(tmp, 'b'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
summary.goals = goals;
console.log(`\n${JSON.stringify(summary)}\n`);
for (const g of goals) console.log(`${g.pass ? 'PASS' : 'FAIL'}  ${g.goal}: ${g.detail}`);

// ------------------------------------------------------------------------------------------ (a)

async function partA(dir) {
  console.log(`\n(a) ${PASSES.toLocaleString('en')} quiet passes over ${TARGETS} in-sync file targets (runPass in process, built code)\n`);
  const git = (a) => execFileSync('git', a, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' } });
  const repo = join(dir, 'approved');
  mkdirSync(join(repo, 'lb'), { recursive: true });
  mkdirSync(join(dir, 'live'), { recursive: true });
  git(['init', '--quiet', '--initial-branch=main', repo]);
  const targets = [];
  for (let i = 0; i < TARGETS; i++) {
    const name = targetName(i);
    const text = `# ${name}\nbackends:\n  api:\n    algorithm: roundrobin\n    servers:\n${[1, 2, 3].map((s) => `      - name: api-${s}\n        address: 10.${i}.0.${s}:8080\n        weight: 10\n`).join('')}frontends:\n  web:\n    bind: 0.0.0.0:${8000 + i}\n    default_backend: api\n`;
    writeFileSync(join(repo, 'lb', `${name}.yaml`), text);
    writeFileSync(join(dir, 'live', `${name}.yaml`), text);
    targets.push({ name, desired: `lb/${name}.yaml`, provider: 'file', path: `./live/${name}.yaml`, mode: i % 2 ? 'revert' : 'alert' });
  }
  git(['-C', repo, 'add', '-A']);
  git(['-C', repo, 'commit', '--quiet', '-m', 'Approve all']);
  const configFile = join(dir, 'driftwarden.yaml');
  writeFileSync(configFile, stringify({ git: { repo: './approved', branch: 'main' }, state: './state', targets }));

  const rt = await openRuntime(loadConfig(configFile), 'bench');
  const db = rt.history.connection;
  const count = () => db.prepare('SELECT count(*) AS n FROM events').get().n;
  const byType = (fromId) => db.prepare('SELECT type, count(*) AS n FROM events WHERE id > ? GROUP BY type ORDER BY type').all(fromId);
  const times = [];
  let notInSync = 0;
  const pass = async () => {
    const t0 = performance.now();
    const r = await runPass(rt, { record: true, act: true });
    times.push(performance.now() - t0);
    notInSync += r.checks.filter((c) => c.result.status !== 'in-sync').length;
  };
  let result;
  try {
    await pass();
    const afterFirst = count();
    const firstTypes = byType(0);
    const firstId = db.prepare('SELECT max(id) AS m FROM events').get().m ?? 0;
    const calibrate = Math.min(50, PASSES - 1);
    const t0 = performance.now();
    for (let i = 0; i < calibrate; i++) await pass();
    const perPass = (performance.now() - t0) / Math.max(1, calibrate);
    const estimate = (perPass * (PASSES - 1)) / 1000;
    const extrapolated = estimate > BUDGET_S && PASSES > 1000;
    const run = extrapolated ? 1000 : PASSES;
    if (extrapolated) console.log(`  ${PASSES} passes would take about ${estimate.toFixed(0)} s (> ${BUDGET_S} s budget): running 1,000 and EXTRAPOLATING`);
    const loopStart = performance.now();
    for (let i = 1 + calibrate; i < run; i++) await pass();
    const loopS = (performance.now() - loopStart) / 1000;
    const ranAfterFirst = run - 1;
    const totalS = times.slice(1).reduce((s, x) => s + x, 0) / 1000;
    const rate = ranAfterFirst / totalS;
    const afterLast = count();
    const added = byType(firstId);
    const files = ['history.db', 'history.db-wal'].map((f) => {
      try {
        return statSync(join(dir, 'state', f)).size;
      } catch {
        return 0;
      }
    });
    const sorted = times.slice(1).sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    result = {
      targets: TARGETS,
      requested: PASSES,
      ran: run,
      extrapolated,
      eventsAfterFirst: afterFirst,
      firstPassTypes: Object.fromEntries(firstTypes.map((r) => [r.type, r.n])),
      eventsAfterLast: afterLast,
      addedAfterFirst: afterLast - afterFirst,
      addedTypes: Object.fromEntries(added.map((r) => [r.type, r.n])),
      notInSync,
      firstPassMs: Math.round(times[0]),
      passMsP50: +q(0.5).toFixed(1),
      passMsP95: +q(0.95).toFixed(1),
      passMsMax: +sorted[sorted.length - 1].toFixed(1),
      passesPerSecond: +rate.toFixed(2),
      secondsForRun: +totalS.toFixed(1),
      secondsFor10000: +((PASSES - 1) / rate + times[0] / 1000).toFixed(0),
      dbBytes: files[0],
      walBytes: files[1],
      loopS: +loopS.toFixed(1),
    };
  } finally {
    rt.close();
  }
  const r = result;
  const rows = [
    ['targets', r.targets],
    ['passes run', `${r.ran.toLocaleString('en')}${r.extrapolated ? ` (of ${r.requested.toLocaleString('en')} requested: EXTRAPOLATED)` : ''}`],
    ['events after pass 1', `${r.eventsAfterFirst} (${Object.entries(r.firstPassTypes).map(([t, n]) => `${t} ${n}`).join(', ')})`],
    [`events after pass ${r.ran.toLocaleString('en')}`, r.eventsAfterLast],
    ['added after pass 1', `${r.addedAfterFirst}${r.addedAfterFirst ? ` (${JSON.stringify(r.addedTypes)})` : ''}`],
    ['target checks not in sync', r.notInSync],
    ['first pass', `${r.firstPassMs} ms`],
    ['later passes p50 / p95 / max', `${r.passMsP50} / ${r.passMsP95} / ${r.passMsMax} ms`],
    ['passes per second', r.passesPerSecond],
    [`time for ${r.ran.toLocaleString('en')} passes (measured)`, `${(r.secondsForRun + r.firstPassMs / 1000).toFixed(1)} s`],
    ...(r.extrapolated ? [[`time for ${r.requested.toLocaleString('en')} passes (EXTRAPOLATED)`, `${r.secondsFor10000} s`]] : []),
    ['history.db / -wal at the end', `${(r.dbBytes / 1024).toFixed(0)} KiB / ${(r.walBytes / 1024).toFixed(0)} KiB`],
  ];
  table(['measure', 'value'], rows);
  goals.push({
    goal: `(a) ${r.requested.toLocaleString('en')} quiet passes over ${r.targets} in-sync targets add no events after the first pass`,
    pass: r.addedAfterFirst === 0 && r.notInSync === 0,
    detail: `${r.addedAfterFirst} added over ${r.ran.toLocaleString('en')} passes${r.extrapolated ? ' (run; the 10,000 figure is extrapolated)' : ''}, ${r.passesPerSecond} passes/s`,
  });
  return r;
}

// ------------------------------------------------------------------------------------------ (b)

async function partB(dir) {
  mkdirSync(dir, { recursive: true });
  const end = new Date();
  console.log(`\n(b) ${EVENTS.toLocaleString('en')} events, ${EVENT_TARGETS} targets, 20 types, one year up to now\n`);

  // 1. How fast is the store's own append (one transaction and fsync per event)?
  const probeN = 2000;
  const probe = new HistoryStore(join(dir, 'probe.db'));
  const gen = syntheticEvents({ count: probeN, targets: EVENT_TARGETS, end, seed: 1 });
  let t0 = performance.now();
  for (const e of gen) probe.append(e);
  const appendRate = probeN / ((performance.now() - t0) / 1000);
  probe.close();

  // 2. The big database, written directly with the 0.1.0 schema.
  const file = join(dir, 'history.db');
  t0 = performance.now();
  buildDatabase(file, end);
  const buildS = (performance.now() - t0) / 1000;
  const oldIndexes = indexNames(file);
  const size = statSync(file).size;

  // 3. The current code opens it (creates whatever indexes the schema now has).
  t0 = performance.now();
  const store = new HistoryStore(file);
  const upgradeMs = performance.now() - t0;
  const newIndexes = indexNames(file);
  store.close();
  const sizeAfter = statSync(file).size;
  const opens = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    new HistoryStore(file).close();
    opens.push(performance.now() - t);
  }

  table(['measure', 'value'], [
    ['HistoryStore.append (one event per transaction)', `${appendRate.toFixed(0)} events/s -> ${(EVENTS / appendRate / 60).toFixed(1)} min for ${EVENTS.toLocaleString('en')} (too slow to build with)`],
    ['direct build (prepared INSERT, one transaction)', `${buildS.toFixed(1)} s, ${(EVENTS / buildS).toFixed(0)} events/s`],
    ['database size', `${(size / 1024 / 1024).toFixed(0)} MiB`],
    ['indexes of the 0.1.0 file', oldIndexes.join(', ')],
    ['first open by the current code (upgrade)', `${upgradeMs.toFixed(0)} ms; indexes now: ${newIndexes.join(', ')}`],
    ['database size after that open', `${(sizeAfter / 1024 / 1024).toFixed(0)} MiB`],
    ['later opens (median of 5)', `${median(opens).toFixed(1)} ms`],
  ]);

  // 4. The queries, as `driftwarden history` runs them.
  const t42 = targetName(42);
  const t7 = targetName(7);
  const queries = [
    { label: '(none: newest 50)', q: {} },
    { label: `--target ${t42}`, q: { target: t42 } },
    { label: '--type drift', q: { type: 'drift' } },
    { label: '--type drift.detected', q: { type: 'drift.detected' } },
    { label: '--since 2h', q: { since: '2h' } },
    { label: '--since 10m (fewer than 50 events)', q: { since: '10m' } },
    { label: `--target ${t42} --type drift`, q: { target: t42, type: 'drift' } },
    { label: `--target ${t42} --type drift.detected`, q: { target: t42, type: 'drift.detected' } },
    { label: '--type drift --since 2h', q: { type: 'drift', since: '2h' } },
    { label: `--target ${t42} --since 2h`, q: { target: t42, since: '2h' } },
    { label: `--target ${t42} --type drift --since 2h`, q: { target: t42, type: 'drift', since: '2h' } },
    { label: `--target ${t42} --since 30d`, q: { target: t42, since: '30d' } },
    { label: '--type alert --since 30d', q: { type: 'alert', since: '30d' } },
    { label: '--type drift.approved --since 2h', q: { type: 'drift.approved', since: '2h' } },
    { label: '--type git (0.2% of events)', q: { type: 'git' } },
    { label: '--type git --since 7d', q: { type: 'git', since: '7d' } },
    { label: '--type pr.skipped (never recorded)', q: { type: 'pr.skipped' } },
    { label: '--type observe.failed --since 90d (old only)', q: { type: 'observe.failed', since: '90d' } },
    { label: `--target ${t7} --type pr.merged`, q: { target: t7, type: 'pr.merged' } },
    { label: '--type target.paused --since 7d', q: { type: 'target.paused', since: '7d' } },
    { label: '--limit 10000 (info)', q: { limit: '10000' }, info: true },
  ];
  const reader = new HistoryStore(file);
  const captured = captureQueries(reader.connection);
  const rows = [];
  const plans = [];
  let verified;
  let verifyS;
  try {
    for (const { label, q, info } of queries) {
      const filter = historyFilter(q, new Date());
      const ms = [];
      let n = 0;
      for (let i = 0; i < RUNS; i++) {
        captured.calls = [];
        const t = performance.now();
        n = reader.query(filter).length;
        ms.push(performance.now() - t);
      }
      const statements = captured.calls.map((c) => ({ sql: c.sql.replace(/\s+/g, ' ').trim(), plan: explain(captured.raw, c) }));
      plans.push({ label, statements });
      rows.push({ label, rows: n, medianMs: +median(ms).toFixed(1), maxMs: +Math.max(...ms).toFixed(1), info: Boolean(info) });
    }

    // 5. Still a working store: one more event through append, then the whole chain verified.
    reader.append({ type: 'target.in-sync', target: t42, actor: 'bench', reason: 'appended by the benchmark after the upgrade' });
    t0 = performance.now();
    verified = reader.verify();
    verifyS = (performance.now() - t0) / 1000;
  } finally {
    captured.restore();
    reader.close();
  }

  console.log('');
  table(['query (limit 50 unless said)', 'rows', `median of ${RUNS}`, 'max', `< ${QUERY_GOAL_MS} ms`], rows.map((r) => [r.label, r.rows, `${r.medianMs} ms`, `${r.maxMs} ms`, r.info ? 'info' : r.medianMs < QUERY_GOAL_MS ? 'yes' : 'NO']));
  console.log(`\n  history verify (information): ${verified.ok ? 'ok' : `NOT ok: ${verified.badId} ${verified.reason}`}, ${verified.events.toLocaleString('en')} events in ${verifyS.toFixed(1)} s`);
  console.log('\nQuery plans (EXPLAIN QUERY PLAN of each statement HistoryStore.query ran):');
  for (const p of plans) {
    console.log(`  ${p.label}`);
    p.statements.forEach((st, i) => {
      if (p.statements.length > 1) console.log(`    statement ${i + 1}:`);
      for (const line of st.plan) console.log(`      ${line}`);
    });
  }
  for (const label of ['--type drift', `--target ${t42} --type drift --since 2h`]) {
    const p = plans.find((x) => x.label === label);
    console.log(`\n  SQL of ${label}:`);
    for (const st of p?.statements ?? []) console.log(`    ${st.sql}`);
  }

  const slow = rows.filter((r) => !r.info && r.medianMs >= QUERY_GOAL_MS);
  goals.push({ goal: `(b) every history query on ${EVENTS.toLocaleString('en')} events under ${QUERY_GOAL_MS} ms (median of ${RUNS})`, pass: slow.length === 0, detail: slow.length ? `slow: ${slow.map((r) => `${r.label} ${r.medianMs} ms`).join('; ')}` : `slowest ${Math.max(...rows.filter((r) => !r.info).map((r) => r.medianMs))} ms` });
  goals.push({ goal: '(b) a 0.1.0 database opens with the current code, takes appends and verifies', pass: verified.ok && verified.events === EVENTS + 1, detail: `upgrade open ${upgradeMs.toFixed(0)} ms, verify ${verified.ok ? 'ok' : 'FAILED'} (${verified.events} events, ${verifyS.toFixed(1)} s)` });
  return { events: EVENTS, appendPerSecond: Math.round(appendRate), buildSeconds: +buildS.toFixed(1), bytes: size, bytesAfterOpen: sizeAfter, upgradeOpenMs: Math.round(upgradeMs), indexesBefore: oldIndexes, indexesAfter: newIndexes, queries: rows, verify: { ok: verified.ok, events: verified.events, seconds: +verifyS.toFixed(1) } };
}

/** Writes EVENTS events with the 0.1.0 schema, hash-chained exactly as HistoryStore.append does. */
function buildDatabase(file, end) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(OLD_SCHEMA);
  const insert = db.prepare(
    `INSERT INTO events (id, time, target, type, commit_sha, approved_hash, live_hash, fingerprint, severity,
       changes, provenance, actor, reason, data, prev_hash, hash)
     VALUES (@id, @time, @target, @type, @commit, @approvedHash, @liveHash, @fingerprint, @severity,
       @changes, @provenance, @actor, @reason, @data, @prevHash, @hash)`,
  );
  const json = (v) => (v === null ? null : canonicalJson(v));
  db.transaction(() => {
    let prevHash = '';
    let id = 0;
    for (const e of syntheticEvents({ count: EVENTS, targets: EVENT_TARGETS, end })) {
      const base = { id: ++id, ...e, prevHash };
      const hash = eventHash(base);
      insert.run({ ...base, hash, changes: json(e.changes), provenance: json(e.provenance), data: json(e.data) });
      prevHash = hash;
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function indexNames(file) {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name").all().map((r) => r.name);
  } finally {
    db.close();
  }
}

/** Records the SQL and parameters of the statements on `events` run through this connection. */
function captureQueries(db) {
  const original = db.prepare;
  const state = { calls: [], raw: (sql) => original.call(db, sql), restore: () => void (db.prepare = original) };
  db.prepare = function (sql) {
    const stmt = original.call(db, sql);
    if (!/\bevents\b/.test(sql)) return stmt;
    return new Proxy(stmt, {
      get(target, key) {
        if (key === 'all' || key === 'get') return (...a) => (state.calls.push({ sql, args: a }), target[key](...a));
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return state;
}

function explain(prepare, { sql, args }) {
  return prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...args)
    .map((r) => r.detail);
}

// ------------------------------------------------------------------------------------------ bits

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function table(head, rows) {
  const cells = [head, ...rows].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  console.log(line(cells[0]));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}; use --part a|b|all, --passes N, --targets N, --budget SECONDS, --events N`);
    out[m[1]] = m[2] ?? argv[++i];
  }
  return out;
}
