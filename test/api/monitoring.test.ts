/**
 * /ready and /metrics (issue 9, "Running it") on the real API over SQLite and PostgreSQL with a real capture
 * appliance: ready with everything up, 503 naming the appliance once it is stopped; every required series in the
 * exposition format with its type and a value matching the rows made here; a call in progress counted as active;
 * callers from elsewhere refused without the token; a failing collector logged, counted and the scrape answered.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { DestructionReport, Extension, FullRecordingApplication, Recording, RecordingHold } from '../../infra/db/entities';
import { seedDevelopmentOrganisation } from '../../infra/db/development-organisation';
import { createLogger } from '../../infra/logger';
import { HttpMetrics, type MonitoringOptions } from '../../api/monitoring';
import type { HealthCheck } from '../../api/health';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { loggedIn, startTestApi, type TestApi } from '../support/api';
import { type DisclosureStatus } from '../../domain/disclosure';
import { disclosureRequestRow } from '../support/disclosure';
import { eventually } from '../support/eventually';

const HOUR = 3600_000;
const METRICS_TOKEN = 'a-metrics-token-for-the-test-0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** The exposition format read line by line, strictly: a line that is neither a comment nor a sample fails. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1] as string)).toBe(false);
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line.startsWith('# HELP ') || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[match[1] as string] = match[2] as string;
    const raw = sample[3] as string;
    samples.push({ name: sample[1] as string, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return { types, samples };
}

function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scrape.samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

describe.each(availableDrivers())('/ready and /metrics on %s', (driver) => {
  let database: TestDatabase;
  let orm: MikroORM;
  let appliance: TestAppliance | undefined;
  let api: TestApi;
  let extension: Extension;
  const http = new HttpMetrics();
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const monitoring: MonitoringOptions = { http, metricsToken: METRICS_TOKEN };

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    orm = database.orm;
    const organisation = await seedDevelopmentOrganisation(orm.em.fork());
    extension = [...organisation.extensions.values()][0] as Extension;
    appliance = await startTestAppliance(orm);
    const control = appliance.clients.api;
    const base = createLogger({ component: 'monitoring-test' }, 'error');
    const collecting =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        void logged.push({ level, message, fields });
    monitoring.logger = {
      ...base,
      debug: collecting('debug'),
      info: collecting('info'),
      warn: collecting('warn'),
      error: collecting('error'),
      child: () => monitoring.logger!,
    };
    // The checks system.ts builds, over this test's servers.
    const health: Record<string, HealthCheck> = {
      database: async () => {
        await orm.em.fork().getConnection().execute('select 1');
        return { state: 'up', detail: driver };
      },
      capture: async () => {
        await control.health();
        return { state: 'up', detail: 'test appliance' };
      },
      // Not part of readiness: a missing holiday table is the managing department's work, not an outage.
      legalCalendar: async () => ({ state: 'down', detail: '2026년까지만 있음' }),
    };
    api = await startTestApi(orm, { health, capture: control, monitoring });
    await seedCases();
  });
  afterAll(async () => {
    await api?.close();
    await appliance?.close();
    await database?.dispose();
  });

  const now = Date.now();
  const recordingIds = { pastDue: '', heldLonger: '', deletedLonger: '' };

  async function seedCases(): Promise<void> {
    const em = orm.em.fork();
    const request = (sequence: number, status: DisclosureStatus) => {
      const row = disclosureRequestRow(sequence, extension.number, { workflowId: `disclosure-${randomUUID()}` });
      row.status = status;
      em.persist(row);
      return row;
    };
    request(1, 'registered');
    request(2, 'registered');
    const overdue = request(3, 'awaiting_destruction_report');
    em.persist(new DestructionReport(overdue, new Date(now - 24 * HOUR)));
    const notYetDue = request(4, 'awaiting_destruction_report');
    em.persist(new DestructionReport(notYetDue, new Date(now + 24 * HOUR)));
    const returned = request(5, 'closed');
    const report = new DestructionReport(returned, new Date(now - 48 * HOUR));
    report.reportedAt = new Date(now - 72 * HOUR);
    em.persist(report);

    const application = new FullRecordingApplication(
      `full-recording-${randomUUID()}`,
      'kim.head',
      extension.department,
      'malicious_complaints',
      '민원 응대 품질 확인을 위해',
      new Date(),
    );
    application.status = 'active';
    em.persist(application);

    // Past due 2 hours; held past due 5 hours (skipped: the hold is why it waits); deleted past due 10 hours.
    const dueAgo = (callId: string, hours: number) => {
      const dueAt = new Date(now - hours * HOUR);
      const recording = new Recording(callId, extension, new Date(dueAt.getTime() - 30 * 24 * HOUR), 'inbound', 'selective', 'PCMU', dueAt);
      em.persist(recording);
      return recording;
    };
    const pastDue = dueAgo('monitoring-past-due', 2);
    const held = dueAgo('monitoring-held', 5);
    em.persist(new RecordingHold(held, '열람 신청 검토 중', 'choi.chief'));
    const deleted = dueAgo('monitoring-deleted', 10);
    deleted.deletedAt = new Date(now - 9 * HOUR);
    deleted.deletionReason = 'retention';
    // Registered now, started 10 minutes ago: the last hour's one recording before the appliance records any.
    em.persist(new Recording('monitoring-fresh', extension, new Date(now - 10 * 60_000), 'inbound', 'selective', 'PCMU', new Date(now + 30 * 24 * HOUR)));
    await em.flush();
    Object.assign(recordingIds, { pastDue: pastDue.id, heldLonger: held.id, deletedLonger: deleted.id });
  }

  const scrape = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${api.url}/metrics`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; ?version=0\.0\.4/);
    return parseExposition(await response.text());
  };

  test('/ready: 200 with every component up, the calendar left to /health', async () => {
    const response = await fetch(`${api.url}/ready`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ state: 'ready', checkedAt: expect.any(String), components: { database: 'up', capture: 'up', migrations: 'up' }, failing: [] });
    expect((await fetch(`${api.url}/health`)).status).toBe(503);
  });

  test('/health: anonymous callers and officials learn up or down per component; the managing department and auditors the details', async () => {
    const anonymous = await fetch(`${api.url}/health`);
    expect(anonymous.status).toBe(503);
    const bare = {
      state: 'down',
      checkedAt: expect.any(String),
      components: { database: { state: 'up' }, capture: { state: 'up' }, legalCalendar: { state: 'down' } },
    };
    expect(await anonymous.json()).toEqual(bare);
    const staff = await loggedIn(api.url, 'staff');
    expect(await (await staff.request('GET', '/health')).json()).toEqual(bare);
    for (const role of ['chief', 'auditor'] as const) {
      const reader = await loggedIn(api.url, role);
      const detailed = (await (await reader.request('GET', '/health')).json()) as { components: Record<string, { detail: string }> };
      expect(detailed.components.legalCalendar?.detail).toBe('2026년까지만 있음');
      expect(detailed.components.database?.detail).toBe(driver);
    }
  });

  test('/metrics: every required series with its type and the value of the rows made here', async () => {
    // A call in progress is an active call; once it ends it is a registered recording with its packets.
    const call = appliance!.record({ callId: `monitoring-${driver}-call`, extension: extension.number, durationMs: 2500 });
    await eventually(async () => valueOf(await scrape(), 'telrec_capture_active_calls') === 1, {
      within: '5s',
      every: 100,
      what: 'the call active in /metrics',
    });
    await call;
    const metrics = await scrape();

    const expectSeries = (name: string, type: string) => expect([name, metrics.types.get(name)]).toEqual([name, type]);
    expectSeries('telrec_open_cases', 'gauge');
    expect(valueOf(metrics, 'telrec_open_cases', { case_type: 'disclosure_request', state: 'registered' })).toBe(2);
    expect(valueOf(metrics, 'telrec_open_cases', { case_type: 'disclosure_request', state: 'awaiting_destruction_report' })).toBe(2);
    expect(valueOf(metrics, 'telrec_open_cases', { case_type: 'disclosure_request', state: 'in_sign_off' })).toBe(0);
    expect(valueOf(metrics, 'telrec_open_cases', { case_type: 'disclosure_request', state: 'closed' })).toBeUndefined();
    expect(valueOf(metrics, 'telrec_open_cases', { case_type: 'full_recording_application', state: 'active' })).toBe(1);

    expectSeries('telrec_destruction_reports_overdue', 'gauge');
    expect(valueOf(metrics, 'telrec_destruction_reports_overdue')).toBe(1);

    expectSeries('telrec_deletion_lag_seconds', 'gauge');
    const lag = valueOf(metrics, 'telrec_deletion_lag_seconds') as number;
    expect(lag).toBeGreaterThanOrEqual(7200);
    // The held recording (5 hours) and the deleted one (10 hours) are not what deletion is late with.
    expect(lag).toBeLessThan(3 * 3600);

    expectSeries('telrec_recordings_registered_last_hour', 'gauge');
    expect(valueOf(metrics, 'telrec_recordings_registered_last_hour')).toBe(2);

    expectSeries('telrec_capture_up', 'gauge');
    expect(valueOf(metrics, 'telrec_capture_up')).toBe(1);
    expectSeries('telrec_capture_active_calls', 'gauge');
    expect(valueOf(metrics, 'telrec_capture_active_calls')).toBe(0);
    expectSeries('telrec_capture_recordings_registered_total', 'counter');
    expect(valueOf(metrics, 'telrec_capture_recordings_registered_total')).toBe(1);
    expectSeries('telrec_capture_rtp_packets_received_total', 'counter');
    // 2.5 s of two parties at 50 packets a second each.
    expect(valueOf(metrics, 'telrec_capture_rtp_packets_received_total')).toBeGreaterThanOrEqual(200);
    expectSeries('telrec_capture_rtp_packets_lost_total', 'counter');
    expect(valueOf(metrics, 'telrec_capture_rtp_packets_lost_total')).toBe(0);

    expectSeries('telrec_http_requests_total', 'counter');
    expectSeries('telrec_http_request_duration_seconds', 'histogram');
    // The earlier scrapes, by their route template, and /ready's 200.
    expect(valueOf(metrics, 'telrec_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(metrics, 'telrec_http_requests_total', { method: 'GET', route: '/ready', status: '200' })).toBe(1);
    expect(valueOf(metrics, 'telrec_http_request_duration_seconds_bucket', { method: 'GET', route: '/ready', status: '200', le: '+Inf' })).toBe(1);
    expect(valueOf(metrics, 'telrec_http_request_duration_seconds_count', { method: 'GET', route: '/ready', status: '200' })).toBe(1);
    expectSeries('telrec_metrics_collection_errors_total', 'counter');
  });

  test('a route with an id is counted by its template, never by its path', async () => {
    await fetch(`${api.url}/api/recordings/${recordingIds.pastDue}`);
    await fetch(`${api.url}/no-such-page/${randomUUID()}`);
    const metrics = await scrape();
    expect(valueOf(metrics, 'telrec_http_requests_total', { method: 'GET', route: '/api/recordings/:id', status: '401' })).toBe(1);
    expect(valueOf(metrics, 'telrec_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(metrics.samples.some((sample) => Object.values(sample.labels).some((value) => value.includes(recordingIds.pastDue)))).toBe(false);
  });

  test('/metrics from elsewhere: refused without the token, answered with it', async () => {
    // Through the TLS proxy every caller's socket is 127.0.0.1: the forwarding header is what makes it remote.
    const remote = { 'X-Forwarded-For': '203.0.113.9' };
    const refused = await fetch(`${api.url}/metrics`, { headers: remote });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    const wrong = await fetch(`${api.url}/metrics`, { headers: { ...remote, Authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(403);
    const wrongLocal = await fetch(`${api.url}/metrics`, { headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrongLocal.status).toBe(403);
    const allowed = await scrape({ ...remote, Authorization: `Bearer ${METRICS_TOKEN}` });
    expect(allowed.types.get('telrec_open_cases')).toBe('gauge');
  });

  test('the appliance stopped: /ready 503 naming it, /metrics still answers with capture down, logged and counted', async () => {
    await appliance!.close();
    appliance = undefined;
    const response = await fetch(`${api.url}/ready`);
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body).toMatchObject({ state: 'not_ready', failing: ['capture'], components: { capture: 'down', database: 'up', migrations: 'up' } });
    // Public: states only, none of the checks' details.
    expect(JSON.stringify(body)).not.toContain('detail');

    const before = logged.filter((entry) => entry.message === 'metrics collector failed').length;
    const metrics = await scrape();
    expect(valueOf(metrics, 'telrec_capture_up')).toBe(0);
    expect(valueOf(metrics, 'telrec_capture_active_calls')).toBeUndefined();
    expect(valueOf(metrics, 'telrec_metrics_collection_errors_total', { collector: 'capture' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'telrec_destruction_reports_overdue')).toBe(1);
    const failures = logged.filter((entry) => entry.message === 'metrics collector failed');
    expect(failures.length).toBe(before + 1);
    expect(failures.at(-1)).toMatchObject({ level: 'warn', fields: { collector: 'capture' } });
  });
});
