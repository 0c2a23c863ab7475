/**
 * `npm run bench:api`: recording search (GET /api/recordings) over a city-sized database — 50 departments,
 * 2,000 extensions and 1,000,000 recordings over the last 31 days — in SQLite and in PostgreSQL 15 (a
 * throw-away server of its own). Prints p50/p95/p99 and requests per second for one logged-in user and for
 * 50 concurrent ones (autocannon, each connection its own session), per scenario and per mix.
 * Target: p95 under 100 ms at 50 concurrent users (printed, never fails the run). Exits non-zero if any
 * request was answered with a non-2xx status or failed.
 *
 * BENCH_RECORDINGS (1000000), BENCH_DURATION (12 s per run), BENCH_WARMUP (3 s), BENCH_USERS (1,50),
 * BENCH_DATABASES (sqlite,postgresql), BENCH_EXPLAIN (1: print the search's query plans), BENCH_THINK_MS
 * (1000: mean think time of the extra "paced" run of 50 users; 0 skips it), BENCH_SQLITE_PRAGMAS (what-if
 * settings for the API's SQLite connection after seeding, e.g. `journal_mode=wal,synchronous=normal`),
 * BENCH_PG_POOL_MAX (what-if size of the ORM's PostgreSQL pool; the script's server allows 50 connections).
 *
 * Besides the table it prints, per database: seeding time, each scenario once with searchRecordings() and
 * its SQL timed alone, the session lookup and audit append timed alone, the search's query plans, and per
 * run the ORM pool's acquire waits and (PostgreSQL) what the server's backends were doing.
 *
 * "users" are closed-loop connections (the next search as soon as the last is answered), which is far
 * heavier than 50 people at their desks; a "paced" run of 50 users with think time is printed beside it.
 * The first answer on each new connection is reported on its own line, not in the figures (see runLoad).
 * The load generator runs in a worker thread of this process (its own event loop, the same machine), so
 * every figure includes the cost of generating the load on the same CPUs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Principal } from '../../api/access';
import { recordingSearchQuery, searchRecordings } from '../../api/recording-search';
import { auditor, type RequestContext } from '../../api/routes';
import { AuditBatcher } from '../../infra/audit/audit-log';
import { SessionStore, SESSION_COOKIE } from '../../api/sessions';
import type { DirectoryUser } from '../../infra/directory';
import { DEMO_PASSWORD, DevelopmentDirectory } from '../../infra/directory/development-directory';
import { DirectoryError } from '../../infra/directory/ldap-directory';
import { startTestApi, TestClient, type TestApi } from '../support/api';
import { openDatabase, stopServersLeft, type BenchDatabase, type Driver } from './databases';

type Plan = 'operator' | 'staff';

const RECORDINGS = Number(process.env.BENCH_RECORDINGS ?? 1_000_000);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 12);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const USER_COUNTS = (process.env.BENCH_USERS ?? '1,50').split(',').map(Number);
const DATABASES = (process.env.BENCH_DATABASES ?? 'sqlite,postgresql').split(',') as Driver[];
const EXPLAIN = (process.env.BENCH_EXPLAIN ?? '1') !== '0';
/** Mean think time of the paced users (0: no paced runs). */
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 1_000);
/** What-if: the PostgreSQL pool's size (default: what initOrm gives, knex's 2–10). */
const PG_POOL_MAX = process.env.BENCH_PG_POOL_MAX ? Number(process.env.BENCH_PG_POOL_MAX) : undefined;
const SQLITE_PRAGMAS = (process.env.BENCH_SQLITE_PRAGMAS ?? '')
  .split(',')
  .map((pragma) => pragma.trim())
  .filter(Boolean);
const TARGET_P95_MS = 100;
const TARGET_USERS = 50;

const DEPARTMENT_COUNT = 50;
const EXTENSION_COUNT = 2_000;
const EXTENSIONS_PER_DEPARTMENT = EXTENSION_COUNT / DEPARTMENT_COUNT;
const DAYS = 31;
const FREQUENT_CALLERS = 5_000;
const ROWS_PER_INSERT = 1_000;
const ROWS_PER_TRANSACTION = 10_000;
const KST_MS = 9 * 3_600_000;
const DAY_MS = 86_400_000;

// ───────────────────────────── load generator (worker thread) ─────────────────────────────

interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  plan: Plan;
  /** One session cookie per simulated user; connection i uses cookies[i % length]. */
  cookies: string[];
  departments: string[];
  extensions: string[];
  /** Week days (KST) inside the retention period, for one-day searches. */
  weekdays: string[];
  /** Every day inside the retention period. */
  days: string[];
  /** Partial other-party numbers people type (the last four digits of a caller). */
  partials: string[];
  /** Paced users instead of a closed loop: mean think time between an answer and the next search. */
  thinkMs?: number;
}

interface ScenarioSamples {
  latencies: number[];
  non2xx: number;
  statuses: Record<string, number>;
}

interface LoadResult {
  durationS: number;
  errors: number;
  timeouts: number;
  /** Connection errors and timeouts by kind. */
  errorKinds: Record<string, number>;
  /** Closed loop: the first answer on each connection, kept out of the scenario figures (see runLoad). */
  firstPerConnection?: { count: number; p50: number; max: number; non2xx: number };
  /** The three slowest requests of the run, with when they were answered (seconds into the run). */
  slowest: { ms: number; path: string; atS: number }[];
  scenarios: Record<string, ScenarioSamples>;
}

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | undefined;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

interface AutocannonClient {
  setRequests(requests: AutocannonRequest[]): void;
}

interface AutocannonInstance extends PromiseLike<{ errors: number; timeouts: number; duration: number; non2xx: number }> {
  on(event: 'response', listener: (client: AutocannonClient, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', listener: (error: Error & { code?: string }) => void): void;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function addLocalDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The requests one simulated user cycles through; each records which scenario it was in `context.label`. */
function requestsFor(spec: LoadSpec, cookie: string): AutocannonRequest[] {
  const headers = { cookie, accept: 'application/json' };
  const search = (label: string, query: () => Record<string, string>, keepCursor = false): AutocannonRequest => ({
    method: 'GET',
    headers,
    setupRequest(request, context) {
      const params = query();
      context.label = label;
      if (keepCursor) context.query = params;
      request.path = `/api/recordings${Object.keys(params).length ? `?${new URLSearchParams(params).toString()}` : ''}`;
      context.path = request.path;
      return request;
    },
    onResponse(_status, body, context) {
      if (keepCursor) {
        try {
          context.cursor = (JSON.parse(body) as { nextCursor?: string | null }).nextCursor ?? undefined;
        } catch {
          context.cursor = undefined;
        }
      }
    },
  });
  const nextPage = (label: string): AutocannonRequest => ({
    method: 'GET',
    headers,
    setupRequest(request, context) {
      const cursor = context.cursor as string | undefined;
      const params = { ...(context.query as Record<string, string>) };
      // A first page without a second one (rare at full size): ask for the first page again, labelled as such.
      if (cursor) params.cursor = cursor;
      context.label = cursor ? label : `${label} (no cursor: page 1)`;
      request.path = `/api/recordings${Object.keys(params).length ? `?${new URLSearchParams(params).toString()}` : ''}`;
      context.path = request.path;
      return request;
    },
  });
  if (spec.plan === 'operator') {
    return [
      search(
        'department, 1 day',
        () => {
          const day = pick(spec.weekdays);
          return { from: day, to: day, department: pick(spec.departments) };
        },
        true,
      ),
      nextPage('department, 1 day, page 2 (cursor)'),
      search('extension, 1 day', () => {
        const day = pick(spec.weekdays);
        return { from: day, to: day, extension: pick(spec.extensions) };
      }),
      search('7 days + otherParty (last 4 digits)', () => {
        const to = pick(spec.days);
        return { from: addLocalDays(to, -6), to, otherParty: pick(spec.partials) };
      }),
      search('default range (31 days), page 1', () => ({})),
    ];
  }
  return [
    search('own calls, default range, page 1', () => ({}), true),
    nextPage('own calls, default range, page 2 (cursor)'),
    search('own calls, 1 day', () => {
      const day = pick(spec.weekdays);
      return { from: day, to: day };
    }),
  ];
}

/** Latencies per scenario, status counts and the slowest requests of one run. */
function recorder() {
  const scenarios: Record<string, ScenarioSamples> = {};
  const slowest: { ms: number; path: string; atS: number }[] = [];
  const started = performance.now();
  return {
    scenarios,
    slowest,
    record(label: string, path: string, status: number, ms: number) {
      const samples = (scenarios[label] ??= { latencies: [], non2xx: 0, statuses: {} });
      samples.latencies.push(ms);
      samples.statuses[status] = (samples.statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) samples.non2xx += 1;
      if (slowest.length < 3 || ms > (slowest[slowest.length - 1] as { ms: number }).ms) {
        slowest.push({ ms, path, atS: (performance.now() - started) / 1000 });
        slowest.sort((a, b) => b.ms - a.ms);
        slowest.length = Math.min(slowest.length, 3);
      }
    },
  };
}

/** Closed loop (autocannon): every connection sends its next request as soon as the last is answered. */
async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as (options: Record<string, unknown>) => AutocannonInstance;
  const samples = recorder();
  let lastLabel = 'unknown';
  let lastPath = '';
  let clientIndex = 0;
  const instance = autocannon({
    url: `${spec.url}/api/recordings`,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 30,
    setupClient(client: AutocannonClient) {
      const cookie = spec.cookies[clientIndex % spec.cookies.length] as string;
      clientIndex += 1;
      const requests = requestsFor(spec, cookie).map((request) => ({
        ...request,
        // Called just before autocannon emits `response` for the same request (pipelining 1).
        onResponse(status: number, body: string, context: Record<string, unknown>) {
          lastLabel = String(context.label);
          lastPath = String(context.path);
          request.onResponse?.(status, body, context);
        },
      }));
      client.setRequests(requests);
    },
  });
  // The first answer on each connection is kept out of the figures: 50 connections opened at once into a
  // busy Node server are accepted a few per event-loop turn, so some first requests wait seconds before the
  // server even sees them (the same happens with a plain http server doing 3 ms of work per request). That
  // is connection set-up under a thundering herd, not search latency; it is reported on its own line.
  const answered = new WeakSet<AutocannonClient>();
  const firstAnswers: number[] = [];
  let firstFailures = 0;
  instance.on('response', (client, status, _bytes, ms) => {
    if (!answered.has(client)) {
      answered.add(client);
      firstAnswers.push(ms);
      if (status < 200 || status >= 300) firstFailures += 1;
      return;
    }
    samples.record(lastLabel, lastPath, status, ms);
  });
  const errorKinds: Record<string, number> = {};
  instance.on('reqError', (error: Error & { code?: string }) => {
    const kind = error.code ?? error.message;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  const result = await instance;
  firstAnswers.sort((a, b) => a - b);
  return {
    durationS: result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    errorKinds,
    slowest: samples.slowest,
    scenarios: samples.scenarios,
    firstPerConnection: {
      count: firstAnswers.length,
      p50: percentile(firstAnswers, 50),
      max: firstAnswers[firstAnswers.length - 1] ?? Number.NaN,
      non2xx: firstFailures,
    },
  };
}

/**
 * People at their desks: each user waits a random think time (exponential, mean spec.thinkMs) between the
 * answer and their next search, the same request cycle as the closed loop, one keep-alive connection each.
 */
async function runPaced(spec: LoadSpec): Promise<LoadResult> {
  const samples = recorder();
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  const endsAt = performance.now() + spec.durationS * 1000;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const user = async (index: number) => {
    const requests = requestsFor(spec, spec.cookies[index % spec.cookies.length] as string);
    let context: Record<string, unknown> = {};
    // Users do not start in step.
    await sleep(Math.random() * (spec.thinkMs as number));
    for (let step = 0; performance.now() < endsAt; step += 1) {
      if (step % requests.length === 0) context = {};
      const request = requests[step % requests.length] as AutocannonRequest;
      const built = request.setupRequest?.({ ...request }, context) ?? request;
      const started = performance.now();
      try {
        const response = await fetch(`${spec.url}${built.path}`, { headers: built.headers });
        const body = await response.text();
        samples.record(String(context.label), String(context.path), response.status, performance.now() - started);
        request.onResponse?.(response.status, body, context);
      } catch (error) {
        errors += 1;
        const kind = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
      await sleep(Math.min(-Math.log(1 - Math.random()) * (spec.thinkMs as number), Math.max(0, endsAt - performance.now())));
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, (_, index) => user(index)));
  return { durationS: spec.durationS, errors, timeouts: 0, errorKinds, slowest: samples.slowest, scenarios: samples.scenarios };
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === 'bench-api-load') {
  const { spec } = workerData as { spec: LoadSpec };
  (spec.thinkMs ? runPaced(spec) : runLoad(spec)).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (error: unknown) => parentPort?.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) }),
  );
}

function loadInWorker(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { kind: 'bench-api-load', spec } });
    worker.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) => {
      if (message.ok) resolve(message.result as LoadResult);
      else reject(new Error(message.error));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

// ───────────────────────────── the city: departments, extensions, recordings ─────────────────────────────

const DEPARTMENT_NAMES = [
  '기획예산과',
  '감사담당관',
  '홍보담당관',
  '법무담당관',
  '총무과',
  '복지정책과',
  '민원봉사과',
  '세정과',
  '징수과',
  '회계과',
  '문화체육과',
  '교육지원과',
  '여성가족과',
  '노인장애인과',
  '아동청소년과',
  '일자리정책과',
  '지역경제과',
  '기업지원과',
  '환경정책과',
  '자원순환과',
  '공원녹지과',
  '건축과',
  '도시계획과',
  '도시재생과',
  '주택과',
  '교통정책과',
  '정보통신과',
  '대중교통과',
  '도로과',
  '하천관리과',
  '토지정보과',
  '위생과',
  '보건정책과',
  '건강증진과',
  '감염병관리과',
  '안전총괄과',
  '재난관리과',
  '차량등록사업소',
  '평생학습원',
  '도서관',
  '의회사무국',
  '철산1동',
  '철산2동',
  '하안1동',
  '하안2동',
  '소하1동',
  '소하2동',
  '광명1동',
  '광명2동',
  '일직동',
];
const MANAGING_INDEX = DEPARTMENT_NAMES.indexOf('정보통신과');
/** The demo users' extensions (README "Demo users") sit in the city like everyone else's. */
const DEMO_OWNERS: Record<string, string> = { '02-2680-1234': 'jung.staff', '02-2680-1200': 'kim.head', '02-2680-2114': 'lee.operator' };

const extensionNumber = (index: number) => `02-2680-${1000 + index}`;
const officialName = (index: number) => `official${String(index).padStart(4, '0')}`;
const departmentOfExtension = (index: number) => Math.floor(index / EXTENSIONS_PER_DEPARTMENT);
const departmentCode = (index: number) => (index === MANAGING_INDEX ? 'it' : index === 5 ? 'welfare' : `d${String(index + 1).padStart(2, '0')}`);

/** The development directory, plus one staff user per extension (`official0007` at 02-2680-1007). */
class BenchDirectory extends DevelopmentDirectory {
  private static official(username: string): DirectoryUser | undefined {
    const match = /^official(\d{4})$/.exec(username);
    const index = match ? Number(match[1]) : -1;
    if (index < 0 || index >= EXTENSION_COUNT) return undefined;
    const department = DEPARTMENT_NAMES[departmentOfExtension(index)] as string;
    return {
      username,
      displayName: `주무관${index}`,
      dn: `uid=${username},ou=${department},ou=광명시청`,
      departmentPath: ['광명시청', department],
      roles: ['staff'],
      extension: extensionNumber(index),
    };
  }

  override async authenticate(username: string, password: string): Promise<DirectoryUser> {
    const user = BenchDirectory.official(username);
    if (!user) return super.authenticate(username, password);
    if (password !== DEMO_PASSWORD) throw new DirectoryError('INVALID_CREDENTIALS', '사용자 이름 또는 비밀번호가 올바르지 않습니다.');
    return user;
  }

  override async findUser(username: string): Promise<DirectoryUser | undefined> {
    return BenchDirectory.official(username) ?? super.findUser(username);
  }
}

/** A small deterministic generator, so both databases get the same city. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const digits = (random: () => number, count: number) => {
  let text = '';
  for (let i = 0; i < count; i += 1) text += Math.floor(random() * 10);
  return text;
};

function externalNumber(random: () => number): string {
  const kind = random();
  if (kind < 0.64) return `010-${digits(random, 4)}-${digits(random, 4)}`;
  if (kind < 0.9) return `02-${random() < 0.8 ? digits(random, 4) : digits(random, 3)}-${digits(random, 4)}`;
  return `031-${digits(random, 3)}-${digits(random, 4)}`;
}

interface SqlDialect {
  date(ms: number): string;
  bool(value: boolean): string;
}
const DIALECTS: Record<Driver, SqlDialect> = {
  // What MikroORM writes for a datetime in SQLite: epoch milliseconds as an integer (checked by persisting one).
  sqlite: { date: (ms) => String(ms), bool: (value) => (value ? '1' : '0') },
  postgresql: { date: (ms) => `'${new Date(ms).toISOString()}'`, bool: (value) => (value ? 'true' : 'false') },
};
const text = (value: string | null | undefined) => (value == null ? 'null' : `'${value.replace(/'/g, "''")}'`);

/** Calls per hour: office hours on week days (KST), a trickle at night and at weekends. */
function hourWeight(ms: number): number {
  const local = new Date(ms + KST_MS);
  const day = local.getUTCDay();
  const hour = local.getUTCHours();
  const byHour = [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.08, 0.4, 1, 1, 1, 0.5, 1, 1, 1, 1, 0.9, 0.4, 0.12, 0.08, 0.05, 0.03, 0.02][hour] as number;
  return byHour * (day === 0 || day === 6 ? 0.08 : 1);
}

async function sqlitePragmas(knex: ReturnType<SqlEntityManager['getKnex']>, names: string[]): Promise<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const name of names) {
    const rows = await knex.raw<Record<string, number>[]>(`pragma ${name}`);
    values[name] = Number(rows[0]?.[name]);
  }
  return values;
}

interface CityFacts {
  departmentCodes: string[];
  extensionNumbers: string[];
  /** Extension indexes of the 50 staff users who log in. */
  staffExtensions: number[];
  partials: string[];
  fullModeExtensions: number;
}

async function seedCity(orm: MikroORM, driver: Driver, count: number, now: number): Promise<CityFacts> {
  const knex = (orm.em as SqlEntityManager).getKnex();
  const sql = DIALECTS[driver];
  const random = rng(20261128);
  const created = sql.date(now - 400 * DAY_MS);

  const departmentIds = DEPARTMENT_NAMES.map(() => randomUUID());
  const departmentCodes = DEPARTMENT_NAMES.map((_, index) => departmentCode(index));
  await knex.raw(
    `insert into department (id, created_at, updated_at, code, name, kind, parent_id, is_managing_department, directory_dn) values ${DEPARTMENT_NAMES.map(
      (name, index) =>
        `(${text(departmentIds[index])}, ${created}, ${created}, ${text(departmentCodes[index])}, ${text(name)}, 'department', null, ${sql.bool(index === MANAGING_INDEX)}, ${text(`ou=${name},ou=광명시청`)})`,
    ).join(', ')}`,
  );

  const extensionIds: string[] = [];
  const extensionFull: boolean[] = [];
  const extensionRows: string[] = [];
  for (let index = 0; index < EXTENSION_COUNT; index += 1) {
    const number = extensionNumber(index);
    const full = random() < 0.05;
    extensionIds.push(randomUUID());
    extensionFull.push(full);
    extensionRows.push(
      `(${text(extensionIds[index])}, ${created}, ${created}, ${text(number)}, ${text(departmentIds[departmentOfExtension(index)])}, ${text(DEMO_OWNERS[number] ?? officialName(index))}, '${full ? 'full' : 'selective'}', '${full ? 'announcement' : 'verbal'}', ${full ? sql.date(now - 90 * DAY_MS) : 'null'})`,
    );
  }
  await knex.transaction(async (trx) => {
    for (let start = 0; start < extensionRows.length; start += ROWS_PER_INSERT) {
      await trx.raw(
        `insert into extension (id, created_at, updated_at, number, department_id, owner, mode, notice_method, full_recording_since) values ${extensionRows.slice(start, start + ROWS_PER_INSERT).join(', ')}`,
      );
    }
  });

  // Some extensions (민원 counters, call centres) take many more calls than a desk phone.
  const cumulative: number[] = [];
  let total = 0;
  for (let index = 0; index < EXTENSION_COUNT; index += 1) {
    total += random() < 0.1 ? 6 : 1;
    cumulative.push(total);
  }
  const pickExtension = () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) > target) high = middle;
      else low = middle + 1;
    }
    return low;
  };
  // Citizens who call again and again (complaints, follow-ups): a third of all calls, some very often.
  const frequent = Array.from({ length: FREQUENT_CALLERS }, () => externalNumber(random));

  // Calls per hour over the last 31 days, in proportion to the hour's weight.
  const firstHour = Math.floor((now - DAYS * DAY_MS) / 3_600_000) * 3_600_000;
  const hours: number[] = [];
  for (let hour = firstHour; hour < now; hour += 3_600_000) hours.push(hour);
  const weights = hours.map(hourWeight);
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  let assigned = 0;
  let carried = 0;
  const perHour = weights.map((weight) => {
    carried += (weight / weightSum) * count;
    const calls = Math.round(carried) - assigned;
    assigned += calls;
    return calls;
  });

  const columns =
    'id, created_at, updated_at, call_id, extension_id, started_at, ended_at, other_party_number, direction, mode, notice_given, notice_evidence, codec, duration_ms, size_bytes, storage_key, sha256, wrapped_key, recovered, retention_due_at, deleted_at, deletion_reason';
  let pending: string[] = [];
  let statements: string[] = [];
  const flush = async (force: boolean) => {
    if (pending.length >= ROWS_PER_INSERT || (force && pending.length > 0)) {
      statements.push(`insert into recording (${columns}) values ${pending.join(', ')}`);
      pending = [];
    }
    if (statements.length * ROWS_PER_INSERT >= ROWS_PER_TRANSACTION || (force && statements.length > 0)) {
      const batch = statements;
      statements = [];
      await knex.transaction(async (trx) => {
        for (const statement of batch) await trx.raw(statement);
      });
    }
  };

  // SQLite: no fsync per seeding transaction and a large page cache while loading; the connection's own
  // settings come back before anything is measured.
  const pragmas = driver === 'sqlite' ? await sqlitePragmas(knex, ['synchronous', 'cache_size']) : {};
  if (driver === 'sqlite') {
    await knex.raw('pragma synchronous = off');
    await knex.raw('pragma cache_size = -262144');
  }
  let sequence = 0;
  let deleted = 0;
  const started = performance.now();
  for (let h = 0; h < hours.length; h += 1) {
    const hourStart = hours[h] as number;
    const span = Math.min(3_600_000, now - hourStart);
    const times = Array.from({ length: perHour[h] as number }, () => hourStart + Math.floor(random() * span)).sort((a, b) => a - b);
    const secrets = randomBytes(times.length * 80);
    for (let i = 0; i < times.length; i += 1) {
      const startedAt = times[i] as number;
      const extension = pickExtension();
      const fullMode = extensionFull[extension] as boolean;
      const kind = random();
      let other: string;
      let direction: 'inbound' | 'outbound' | 'internal';
      if (kind < 0.05) {
        other = extensionNumber(Math.floor(random() * EXTENSION_COUNT));
        direction = 'internal';
      } else {
        other = random() < 0.35 ? (frequent[Math.floor(FREQUENT_CALLERS * random() ** 2)] as string) : externalNumber(random);
        direction = random() < 0.58 ? 'inbound' : 'outbound';
      }
      // Lengths of office calls: most a minute or two, a few long ones.
      const durationMs = Math.round(8_000 + 90_000 * -Math.log(1 - random() * 0.999));
      const endedAt = startedAt + durationMs;
      const retentionDueAt = startedAt + 30 * DAY_MS;
      const id = randomUUID();
      const gone = retentionDueAt + 10 * 60_000 < now;
      if (gone) deleted += 1;
      const sha = secrets.subarray(i * 80, i * 80 + 32).toString('hex');
      const wrapped = secrets.subarray(i * 80 + 32, i * 80 + 80).toString('base64');
      const localDay = new Date(startedAt + KST_MS).toISOString().slice(0, 10).replace(/-/g, '/');
      sequence += 1;
      pending.push(
        `(${text(id)}, ${sql.date(endedAt)}, ${sql.date(gone ? retentionDueAt + 5 * 60_000 : endedAt)}, ${text(`pbx1-${startedAt}-${sequence}`)}, ${text(extensionIds[extension])}, ${sql.date(startedAt)}, ${sql.date(endedAt)}, ${gone ? 'null' : text(other)}, '${direction}', '${fullMode ? 'full' : 'selective'}', ${sql.bool(true)}, ${text(fullMode ? 'announcement:played' : 'verbal:official')}, '${random() < 0.9 ? 'PCMU' : 'PCMA'}', ${durationMs}, ${durationMs * 8}, ${gone ? 'null' : text(`${localDay}/${id}.g711.enc`)}, ${text(sha)}, ${gone ? 'null' : text(wrapped)}, ${sql.bool(random() < 0.001)}, ${sql.date(retentionDueAt)}, ${gone ? sql.date(retentionDueAt + 5 * 60_000) : 'null'}, ${gone ? text('보관기간 경과 자동 삭제') : 'null'})`,
      );
      await flush(false);
    }
    if (process.stdout.isTTY && h % 24 === 0)
      process.stdout.write(`\r  ${driver}: ${sequence.toLocaleString('en-US')} recordings (${((performance.now() - started) / 1000).toFixed(0)} s)   `);
  }
  await flush(true);
  for (const [name, value] of Object.entries(pragmas)) await knex.raw(`pragma ${name} = ${Number(value)}`);
  if (process.stdout.isTTY) process.stdout.write('\r');
  console.log(`  ${driver}: ${sequence.toLocaleString('en-US')} recordings, ${deleted.toLocaleString('en-US')} of them deleted tombstones (retention over)`);

  const staffExtensions = Array.from({ length: 50 }, (_, i) => 7 + i * EXTENSIONS_PER_DEPARTMENT).filter((index) => !DEMO_OWNERS[extensionNumber(index)]);
  return {
    departmentCodes,
    extensionNumbers: extensionIds.map((_, index) => extensionNumber(index)),
    staffExtensions,
    partials: frequent.slice(0, 500).map((number) => number.slice(-4)),
    fullModeExtensions: extensionFull.filter(Boolean).length,
  };
}

// ───────────────────────────── measuring ─────────────────────────────

interface Row {
  database: Driver;
  users: number;
  /** Users with think time (runPaced) rather than a closed loop. */
  paced: boolean;
  plan: Plan;
  scenario: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function rowsOf(database: Driver, users: number, paced: boolean, plan: Plan, result: LoadResult): Row[] {
  const all: number[] = [];
  let non2xx = 0;
  const rows: Row[] = [];
  const summarise = (scenario: string, latencies: number[], failed: number, errors: number): Row => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      database,
      users,
      paced,
      plan,
      scenario,
      requests: sorted.length,
      rps: sorted.length / result.durationS,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      non2xx: failed,
      errors,
    };
  };
  for (const [scenario, samples] of Object.entries(result.scenarios)) {
    rows.push(summarise(scenario, samples.latencies, samples.non2xx, 0));
    for (const latency of samples.latencies) all.push(latency);
    non2xx += samples.non2xx;
  }
  rows.sort((a, b) => a.scenario.localeCompare(b.scenario));
  rows.unshift(summarise(`ALL (${plan} mix)`, all, non2xx, result.errors + result.timeouts));
  return rows;
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(1) : value.toFixed(0));

function printTable(rows: Row[]): void {
  const header = ['database', 'users', 'scenario', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', ''];
  const body = rows.map((row) => [
    row.database,
    row.paced ? `${row.users} paced` : String(row.users),
    row.scenario,
    String(row.requests),
    row.rps.toFixed(0),
    ms(row.p50),
    ms(row.p95),
    ms(row.p99),
    ms(row.max),
    String(row.non2xx),
    String(row.errors),
    row.users < TARGET_USERS ? '' : row.p95 < TARGET_P95_MS ? 'ok' : row.paced ? `over ${TARGET_P95_MS} ms` : `MISSED (p95 ≥ ${TARGET_P95_MS} ms)`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 2 || column === 0 || column === 11 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  let previous = '';
  for (const [index, cells] of body.entries()) {
    const row = rows[index] as Row;
    const group = `${row.database}|${row.users}|${row.paced}|${row.plan}`;
    if (previous && group !== previous) console.log('');
    previous = group;
    console.log(line(cells));
  }
}

/** Counts how long requests wait for a connection from the ORM's pool (knex/tarn), run by run. */
function watchPool(orm: MikroORM): { max: number | undefined; take(): number[] } {
  const client = (orm.em as SqlEntityManager).getKnex().client as { acquireConnection(): Promise<unknown>; pool?: { max: number } };
  const original = client.acquireConnection.bind(client);
  let waits: number[] = [];
  client.acquireConnection = async () => {
    const started = performance.now();
    try {
      return await original();
    } finally {
      waits.push(performance.now() - started);
    }
  };
  return {
    max: client.pool?.max,
    take() {
      const taken = waits;
      waits = [];
      return taken.sort((a, b) => a - b);
    },
  };
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: Record<string, string>[] }>;
  end(): Promise<void>;
}

/**
 * PostgreSQL during a run, sampled every 100 ms on a side connection: backends running a statement,
 * waiting for a lock (the audit chain head, FOR UPDATE), and idle inside a transaction (waiting for Node
 * to send the transaction's next statement).
 */
async function samplePostgres(settings: NonNullable<BenchDatabase['postgres']>): Promise<{ stop(): Promise<string> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as { Client: new (options: Record<string, unknown>) => PgClient };
  const client = new Client(settings);
  await client.connect();
  const totals = { active: 0, lock: 0, idleInTransaction: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query(
        `select count(*) filter (where state = 'active') as active, count(*) filter (where wait_event_type = 'Lock') as lock,
                count(*) filter (where state like 'idle in transaction%') as idle_tx
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      );
      totals.active += Number(rows[0]?.active);
      totals.lock += Number(rows[0]?.lock);
      totals.idleInTransaction += Number(rows[0]?.idle_tx);
      totals.samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      const mean = (value: number) => (value / Math.max(1, totals.samples)).toFixed(1);
      return `PostgreSQL backends on average: ${mean(totals.active)} running a statement, ${mean(totals.lock)} of them waiting for a lock, ${mean(totals.idleInTransaction)} idle in a transaction`;
    },
  };
}

/**
 * Waits until the requests autocannon left behind are answered: when a run ends its connections close, but
 * the server still works through what it had queued. Every search appends one audit entry, so the chain
 * head standing still for half a second means the server is idle.
 */
async function drain(orm: MikroORM): Promise<void> {
  const head = async () => ((await orm.em.getConnection().execute('select last_seq from audit_chain_head')) as { last_seq: number }[])[0]?.last_seq;
  let previous = await head();
  for (let attempt = 0; attempt < 120; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const current = await head();
    if (current === previous) return;
    previous = current;
  }
}

async function timeIt(times: number, work: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** Runs one request with the ORM's queries captured; returns the SQL of the search itself. */
async function captureSearchSql(
  orm: MikroORM,
  client: TestClient,
  pathAndQuery: string,
): Promise<{ status: number; items: number; next: boolean; sql: string[]; all: string[] }> {
  const platform = orm.em.getPlatform();
  const captured: string[] = [];
  const original = orm.config.get('onQuery');
  orm.config.set('onQuery', (sql: string, params: unknown[]) => {
    captured.push(platform.formatQuery(sql, params));
    return original(sql, params);
  });
  try {
    const response = await client.json<{ items?: unknown[]; nextCursor?: string | null }>('GET', pathAndQuery);
    return {
      status: response.status,
      items: response.body.items?.length ?? 0,
      next: Boolean(response.body.nextCursor),
      sql: captured.filter((statement) => /from [`"]recording[`"] as/i.test(statement)),
      all: captured,
    };
  } finally {
    orm.config.set('onQuery', original);
  }
}

async function explain(orm: MikroORM, driver: Driver, sql: string): Promise<string[]> {
  const connection = orm.em.getConnection();
  if (driver === 'sqlite') {
    const rows = (await connection.execute(`explain query plan ${sql}`)) as { id: number; parent: number; detail: string }[];
    const depth = new Map<number, number>([[0, 0]]);
    return rows.map((row) => {
      const level = (depth.get(row.parent) ?? 0) + 1;
      depth.set(row.id, level);
      return `${'  '.repeat(level)}${row.detail}`;
    });
  }
  const rows = (await connection.execute(`explain (analyze, buffers, costs off) ${sql}`)) as Record<string, string>[];
  return rows.map((row) => `  ${row['QUERY PLAN']}`);
}

// ───────────────────────────── one database ─────────────────────────────

async function benchDatabase(driver: Driver, now: number, allRows: Row[]): Promise<void> {
  console.log(`\n=== ${driver} ===`);
  const opened = performance.now();
  const database = await openDatabase(driver, PG_POOL_MAX);
  const { orm } = database;
  let api: TestApi | undefined;
  try {
    console.log(`  ${database.describe} (ready in ${((performance.now() - opened) / 1000).toFixed(1)} s)`);
    const seedStarted = performance.now();
    const city = await seedCity(orm, driver, RECORDINGS, now);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(
      `  seeding: ${seedSeconds.toFixed(1)} s (${Math.round(RECORDINGS / seedSeconds).toLocaleString('en-US')} recordings/s; ${DEPARTMENT_COUNT} departments, ${EXTENSION_COUNT} extensions, ${city.fullModeExtensions} in full-recording mode)`,
    );
    const analyzeStarted = performance.now();
    const knex = (orm.em as SqlEntityManager).getKnex();
    await knex.raw(driver === 'sqlite' ? 'analyze' : 'vacuum analyze');
    console.log(`  ${driver === 'sqlite' ? 'ANALYZE' : 'VACUUM ANALYZE'}: ${((performance.now() - analyzeStarted) / 1000).toFixed(1)} s`);
    if (driver === 'sqlite') {
      for (const pragma of SQLITE_PRAGMAS) {
        if (!/^[a-z_]+=[a-z0-9_-]+$/i.test(pragma)) throw new Error(`BENCH_SQLITE_PRAGMAS: not a pragma setting: ${pragma}`);
        await knex.raw(`pragma ${pragma}`);
      }
      const [journal] = await knex.raw<{ journal_mode: string }[]>('pragma journal_mode');
      const [synchronous] = await knex.raw<{ synchronous: number }[]>('pragma synchronous');
      console.log(
        `  SQLite connection: journal_mode=${journal?.journal_mode}, synchronous=${synchronous?.synchronous}${SQLITE_PRAGMAS.length ? ' (BENCH_SQLITE_PRAGMAS: what-if, not the product default)' : ' (as initOrm leaves it)'}`,
      );
    }
    if (driver === 'postgresql') {
      const [size]: { table: string; indexes: string }[] = await orm.em
        .getConnection()
        .execute(`select pg_size_pretty(pg_table_size('recording')) as "table", pg_size_pretty(pg_indexes_size('recording')) as indexes`);
      console.log(`  recording table ${size?.table}, its indexes ${size?.indexes}`);
    }

    api = await startTestApi(orm, { directory: new BenchDirectory(), loginRateLimitPerMinute: 100_000 });
    const cookieOf = (client: TestClient) => `${SESSION_COOKIE}=${client.cookies.get(SESSION_COOKIE)}`;
    const loginAs = async (username: string) => {
      const client = new TestClient(api!.url);
      const result = await client.login(username);
      if (result.status !== 200) throw new Error(`login as ${username} failed: ${JSON.stringify(result.body)}`);
      return client;
    };
    const maxUsers = Math.max(...USER_COUNTS);
    const operators: TestClient[] = [];
    const staff: TestClient[] = [];
    for (let i = 0; i < maxUsers; i += 1) operators.push(await loginAs('lee.operator'));
    for (let i = 0; i < maxUsers; i += 1) staff.push(await loginAs(officialName(city.staffExtensions[i % city.staffExtensions.length] as number)));
    console.log(
      `  logged in: ${operators.length} operator sessions (lee.operator), ${staff.length} staff sessions (${staff.length} officials, each at their own extension)`,
    );

    const today = new Date(now + KST_MS).toISOString().slice(0, 10);
    const days = Array.from({ length: 29 }, (_, i) => addLocalDays(today, -(i + 1)));
    const weekdays = days.filter((day) => {
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      return weekday !== 0 && weekday !== 6;
    });
    const specBase = {
      url: api.url,
      departments: city.departmentCodes,
      extensions: city.extensionNumbers,
      weekdays,
      days,
      partials: city.partials,
    };

    // What each scenario costs once, alone: status, size of the answer, and the search query's plan.
    const example = weekdays[2] as string;
    const probes: { plan: Plan; label: string; path: string }[] = [
      { plan: 'operator', label: 'department, 1 day', path: `/api/recordings?from=${example}&to=${example}&department=${city.departmentCodes[10]}` },
      { plan: 'operator', label: 'extension, 1 day', path: `/api/recordings?from=${example}&to=${example}&extension=${city.extensionNumbers[700]}` },
      {
        plan: 'operator',
        label: '7 days + otherParty (last 4 digits)',
        path: `/api/recordings?from=${addLocalDays(example, -6)}&to=${example}&otherParty=${city.partials[250]}`,
      },
      {
        plan: 'operator',
        label: '7 days + otherParty (4 digits nobody has)',
        path: `/api/recordings?from=${addLocalDays(example, -6)}&to=${example}&otherParty=0000000`,
      },
      { plan: 'operator', label: 'default range (31 days), page 1', path: '/api/recordings' },
      { plan: 'staff', label: 'own calls, default range, page 1', path: '/api/recordings' },
      { plan: 'staff', label: 'own calls, 1 day', path: `/api/recordings?from=${example}&to=${example}` },
    ];
    const operatorPrincipal: Principal = {
      username: 'lee.operator',
      displayName: '이담당',
      roles: ['operator'],
      departmentPath: ['광명시청', '정보통신과'],
      extension: '02-2680-2114',
    };
    const staffIndex = city.staffExtensions[0] as number;
    const staffPrincipal: Principal = {
      username: officialName(staffIndex),
      displayName: '주무관',
      roles: ['staff'],
      departmentPath: ['광명시청'],
      extension: extensionNumber(staffIndex),
    };
    console.log('  each scenario once (one user), then searchRecordings() in-process and its search SQL alone (median of 20):');
    const plans: string[] = [];
    for (const probe of probes) {
      const client = (probe.plan === 'operator' ? operators[0] : staff[0]) as TestClient;
      const started = performance.now();
      const captured = await captureSearchSql(orm, client, probe.path);
      const httpMs = performance.now() - started;
      if (captured.status !== 200) throw new Error(`${probe.label}: HTTP ${captured.status}`);
      const searchSql = captured.sql[0];
      const alone = searchSql ? await timeIt(20, () => orm.em.getConnection().execute(searchSql)) : undefined;
      const principal = probe.plan === 'operator' ? operatorPrincipal : staffPrincipal;
      const parsed = recordingSearchQuery.parse(Object.fromEntries(new URL(probe.path, api.url).searchParams));
      const inProcess = await timeIt(20, () =>
        searchRecordings(orm.em.fork(), principal, probe.plan === 'operator' ? 'everything' : 'ownCalls', parsed, {
          calendar: api!.calendar,
          defaultRangeDays: 30,
        }),
      );
      console.log(
        `    ${`${probe.plan}: ${probe.label}`.padEnd(52)} HTTP ${captured.status}, ${String(captured.items).padStart(3)} items${captured.next ? ' + next page' : ''}, first request ${httpMs.toFixed(1)} ms; searchRecordings() median ${inProcess.median.toFixed(1)} ms, of which the search SQL ${alone ? alone.median.toFixed(1) : '-'} ms; ${captured.all.length} SQL statements per request`,
      );
      if (EXPLAIN && searchSql) {
        // The select list is long and always the same: print the query from FROM on.
        plans.push(`  ${probe.plan}: ${probe.label}\n    select … ${searchSql.slice(searchSql.search(/ from /i) + 1)}`);
        plans.push(...(await explain(orm, driver, searchSql)).map((line) => `  ${line}`));
      }
    }

    // The two other things every search does: resolve the session, append the audit entry.
    const sessions = new SessionStore(orm, { idleMinutes: 30, absoluteMinutes: 480 });
    const token = operators[0]?.cookies.get(SESSION_COOKIE) as string;
    const session = await timeIt(200, () => sessions.resolve(token));
    const context: RequestContext = {
      requestId: randomUUID(),
      sourceAddress: '127.0.0.1',
      cookies: {},
      actingRole: 'operator',
      principal: { username: 'lee.operator', displayName: '이담당', roles: ['operator'], departmentPath: ['광명시청', '정보통신과'] } satisfies Principal,
    };
    const resultIds = Array.from({ length: 50 }, () => randomUUID());
    const audit = await timeIt(200, () =>
      auditor(
        new AuditBatcher(orm),
        context,
      )({
        action: 'recording.search',
        targetType: 'recording',
        targetId: 'search',
        reason: '녹취정보 조회',
        detail: { query: { limit: 50 }, scope: 'everything', resultIds },
      }),
    );
    console.log(
      `  per request, alone: session lookup median ${session.median.toFixed(2)} ms (p95 ${session.p95.toFixed(2)}), audit append (own transaction, chain head locked) median ${audit.median.toFixed(2)} ms (p95 ${audit.p95.toFixed(2)})`,
    );
    if (plans.length) {
      console.log(`  query plans of the search (${driver === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN (ANALYZE, BUFFERS)'}):`);
      for (const line of plans) console.log(line);
    }

    const cookies = { operator: operators.map(cookieOf), staff: staff.map(cookieOf) };
    const pool = watchPool(orm);
    if (WARMUP_S > 0) {
      for (const plan of ['operator', 'staff'] as const) {
        await loadInWorker({ ...specBase, plan, connections: 10, durationS: WARMUP_S, cookies: cookies[plan] });
        await drain(orm);
      }
    }
    for (const users of USER_COUNTS) {
      for (const plan of ['operator', 'staff'] as const) {
        process.stdout.write(`  running: ${users} user(s), ${plan} mix, ${DURATION_S} s ... `);
        pool.take();
        const sampler = database.postgres ? await samplePostgres(database.postgres) : undefined;
        const result = await loadInWorker({ ...specBase, plan, connections: users, durationS: DURATION_S, cookies: cookies[plan].slice(0, users) });
        const backends = await sampler?.stop();
        const waits = pool.take();
        await drain(orm);
        const rows = rowsOf(driver, users, false, plan, result);
        (rows[0] as Row).non2xx += result.firstPerConnection?.non2xx ?? 0;
        const overall = rows[0] as Row;
        const kinds = Object.entries(result.errorKinds)
          .map(([kind, count]) => `${kind} ×${count}`)
          .join(', ');
        console.log(
          `${overall.requests} requests, ${overall.rps.toFixed(0)} req/s, p95 ${ms(overall.p95)} ms, non-2xx ${overall.non2xx}, errors ${overall.errors}${kinds ? ` (${kinds})` : ''}`,
        );
        const first = result.firstPerConnection;
        if (first)
          console.log(
            `    first request on each of the ${first.count} new connections (not in the figures): p50 ${ms(first.p50)} ms, max ${ms(first.max)} ms, non-2xx ${first.non2xx}`,
          );
        console.log(`    slowest: ${result.slowest.map((slow) => `${ms(slow.ms)} ms at ${slow.atS.toFixed(1)} s ${slow.path}`).join('; ')}`);
        console.log(
          `    ORM pool (max ${pool.max} connections): ${waits.length} acquires, wait p50 ${ms(percentile(waits, 50))} ms, p95 ${ms(percentile(waits, 95))} ms, max ${ms(waits[waits.length - 1] ?? Number.NaN)} ms`,
        );
        if (backends) console.log(`    ${backends}`);
        allRows.push(...rows);
      }
    }
    if (THINK_MS > 0) {
      const users = Math.max(...USER_COUNTS);
      for (const plan of ['operator', 'staff'] as const) {
        process.stdout.write(`  running: ${users} paced user(s) (think time ~${THINK_MS} ms), ${plan} mix, ${DURATION_S} s ... `);
        const result = await loadInWorker({
          ...specBase,
          plan,
          connections: users,
          durationS: DURATION_S,
          cookies: cookies[plan].slice(0, users),
          thinkMs: THINK_MS,
        });
        await drain(orm);
        const rows = rowsOf(driver, users, true, plan, result);
        const overall = rows[0] as Row;
        console.log(
          `${overall.requests} requests, ${overall.rps.toFixed(0)} req/s, p95 ${ms(overall.p95)} ms, non-2xx ${overall.non2xx}, errors ${overall.errors}`,
        );
        allRows.push(...rows);
      }
    }
  } finally {
    await api?.close();
    await database.dispose();
  }
}

async function main(): Promise<void> {
  const now = Date.now();
  console.log(
    `recording search benchmark: ${RECORDINGS.toLocaleString('en-US')} recordings over ${DAYS} days, ${DURATION_S} s per run, users ${USER_COUNTS.join(' and ')} (Node ${process.version}, ${os.cpus().length} CPUs, load generator in a worker thread of the same process)`,
  );
  const started = performance.now();
  const rows: Row[] = [];
  for (const driver of DATABASES) await benchDatabase(driver, now, rows);

  console.log(`\nrecording search, GET /api/recordings (limit 50; each request: session lookup + search + one audit entry)`);
  console.log(
    `users: closed loop, each user (connection) sends the next search as soon as the last is answered${THINK_MS > 0 ? `; "paced": each waits a random think time (mean ${THINK_MS} ms) first` : ''}`,
  );
  printTable(rows);
  const failed = rows.filter((row) => row.scenario.startsWith('ALL') && (row.non2xx > 0 || row.errors > 0));
  const missed = rows.filter((row) => !row.paced && row.users >= TARGET_USERS && row.p95 >= TARGET_P95_MS);
  console.log('');
  for (const driver of DATABASES) {
    for (const plan of ['operator', 'staff'] as const) {
      const overall = rows.find(
        (row) => row.database === driver && !row.paced && row.users >= TARGET_USERS && row.plan === plan && row.scenario.startsWith('ALL'),
      );
      if (overall) {
        console.log(
          `target p95 < ${TARGET_P95_MS} ms at ${overall.users} users (closed loop), ${driver}, ${plan} mix: ${overall.p95 < TARGET_P95_MS ? `met (p95 ${ms(overall.p95)} ms)` : `MISSED (p95 ${ms(overall.p95)} ms)`}`,
        );
      }
      const paced = rows.find((row) => row.database === driver && row.paced && row.plan === plan && row.scenario.startsWith('ALL'));
      if (paced) {
        console.log(`  for comparison, ${paced.users} users with ~${THINK_MS} ms think time: p95 ${ms(paced.p95)} ms at ${paced.rps.toFixed(0)} req/s`);
      }
    }
  }
  if (missed.length) console.log(`MISSED: ${missed.length} row(s) at ${TARGET_USERS} users have p95 ≥ ${TARGET_P95_MS} ms (see table)`);
  console.log(`total time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length) {
    console.error(`FAILED: non-2xx answers or request errors in ${failed.length} run(s)`);
    process.exit(1);
  }
}

if (isMainThread && require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    stopServersLeft();
    process.exit(1);
  });
}
