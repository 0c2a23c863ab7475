/**
 * Running it (issue 9): `GET /ready` for load balancers and service managers, and `GET /metrics` for Prometheus
 * (declared in api/route-table/monitoring.ts; what they check, count and allow is here).
 *
 * `/health` stays the liveness answer with every component's report in Korean; `/ready` asks the same checks plus the
 * migrations whether this process can serve a request now, and names only the failing components (no detail: it is
 * public, and details name servers, folders and error texts). The legal calendar is left out of readiness on purpose:
 * a holiday table missing for next year is work for the managing department, not a reason to take the API out of
 * service.
 *
 * `/metrics` is counts only — no names, numbers or case ids — but how many disclosure cases are open and how far
 * deletion lags behind is still the city's business: it answers callers on this host (Prometheus or its agent beside
 * the API) and, from elsewhere, only with the bearer token of METRICS_TOKEN_FILE. Database figures are read at scrape
 * time with a few aggregate queries; a collector that fails is logged and counted, and the scrape answers the rest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/core';
import type { Request } from 'express';
import type { CaptureControlClient } from '../capture/control-client';
import { DestructionReport, Recording } from '../infra/db/entities';
import { unheldDueFilter } from '../infra/db/recording-deletion';
import { lastInventory } from './retention-overview';
import { createLogger, type Logger } from '../infra/logger';
import type { Settings } from '../infra/settings';
import { CounterVec, Exposition, HistogramVec, type Sample } from '../infra/metrics';
import { checkHealth, type HealthCheck } from './health';
import { DISCLOSURE_STATUSES } from '../domain/disclosure';
import { FULL_RECORDING_STATUSES } from '../domain/full-recording';

/** Latency buckets (seconds) for API requests: pages and searches live under 100 ms, exports take seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Each collector's answer is awaited at most this long, so one slow source cannot make Prometheus time out. */
const COLLECTOR_TIMEOUT_MS = 3_000;
/** Components of /health that do not decide readiness (see the module comment). */
const NOT_FOR_READINESS = new Set(['legalCalendar']);
/**
 * A call longer than this is not looked for when counting the last hour's registrations: the bound lets the count
 * use the index on `started_at` instead of reading every row's `created_at`.
 */
const LONGEST_CALL_MS = 24 * 3600_000;
const DISCLOSURE_ENDED: ReadonlySet<string> = new Set(['closed', 'rejected', 'withdrawn']);
const FULL_RECORDING_ENDED: ReadonlySet<string> = new Set(['rejected', 'ended', 'revoked']);

/** Requests counted and timed by the server's request middleware, by route template (never the raw path). */
export class HttpMetrics {
  private readonly requests = new CounterVec();
  private readonly durations = new HistogramVec(HTTP_BUCKETS);

  observe(request: { method: string; route: string; status: number; seconds: number }): void {
    const labels = { method: request.method, route: request.route, status: String(request.status) };
    this.requests.inc(labels);
    this.durations.observe(labels, request.seconds);
  }

  write(out: Exposition): void {
    out.family('telrec_http_requests_total', 'counter', 'API requests answered, by method, route template and status', this.requests.samples());
    out.family(
      'telrec_http_request_duration_seconds',
      'histogram',
      'API request duration from arrival to the last byte, by method, route template and status',
      this.durations.samples(),
    );
  }
}

/** What whoever starts the API decides about monitoring (app/system.ts); every field has a default for tests. */
export interface MonitoringOptions {
  /** Shared with the request middleware of api/server.ts, which observes every request. */
  http?: HttpMetrics;
  logger?: Logger;
  /** The content of METRICS_TOKEN_FILE: lets callers other than this host read /metrics. */
  metricsToken?: string;
  /** The Temporal worker's own Prometheus endpoint on this host (WORKER_METRICS_PORT), appended to /metrics. */
  workerMetricsUrl?: string;
}

/** A token shorter than this is refused at start-up: it is all that stands between another host and the figures. */
const MIN_TOKEN_LENGTH = 32;

/** The monitoring options of a running system, from its settings (app/system.ts). */
export function monitoringOptions(settings: Pick<Settings, 'metricsTokenFile' | 'workerMetricsPort'>, logger: Logger): MonitoringOptions {
  let metricsToken: string | undefined;
  if (settings.metricsTokenFile) {
    metricsToken = readFileSync(settings.metricsTokenFile, 'utf8').trim();
    if (metricsToken.length < MIN_TOKEN_LENGTH) {
      throw new Error(`METRICS_TOKEN_FILE: 토큰은 ${MIN_TOKEN_LENGTH}자 이상이어야 합니다 (예: openssl rand -base64 32)`);
    }
  }
  return {
    http: new HttpMetrics(),
    logger: logger.child({ component: 'metrics' }),
    metricsToken,
    // The worker may be this process or another on this host started with the same setting.
    workerMetricsUrl: settings.workerMetricsPort ? `http://127.0.0.1:${settings.workerMetricsPort}/metrics` : undefined,
  };
}

export interface MonitoringDeps {
  orm: MikroORM;
  health: Record<string, HealthCheck>;
  /** The appliance's control API: active calls, RTP packets received and lost, registrations. */
  capture: CaptureControlClient;
  monitoring?: MonitoringOptions;
}

export interface ReadinessReport {
  state: 'ready' | 'not_ready';
  checkedAt: string;
  /** Every component asked, up or down. */
  components: Record<string, 'up' | 'down'>;
  /** The components that are down, for the operator reading a probe's log. */
  failing: string[];
}

/** The checks readiness asks: /health's, less the calendar, plus the migrations. */
export function readinessChecks(orm: MikroORM, health: Record<string, HealthCheck>): Record<string, HealthCheck> {
  const checks: Record<string, HealthCheck> = {};
  for (const [name, check] of Object.entries(health)) if (!NOT_FOR_READINESS.has(name)) checks[name] = check;
  checks.migrations = async () => {
    // A process started against a database a newer release migrated (or one not yet migrated) must not serve it.
    const pending = await orm.getMigrator().getPendingMigrations();
    return pending.length === 0 ? { state: 'up', detail: '적용 완료' } : { state: 'down', detail: `미적용 ${pending.length}건` };
  };
  return checks;
}

export async function checkReadiness(checks: Record<string, HealthCheck>): Promise<ReadinessReport> {
  const report = await checkHealth(checks);
  const components = Object.fromEntries(Object.entries(report.components).map(([name, component]) => [name, component.state]));
  const failing = Object.keys(components).filter((name) => components[name] !== 'up');
  return { state: failing.length === 0 ? 'ready' : 'not_ready', checkedAt: report.checkedAt, components, failing };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Who may read the metrics. The socket's own peer is used, not `req.ip`: behind the TLS proxy every browser's
 * connection comes from 127.0.0.1, so anything that came through a proxy (it carries forwarding headers) is treated
 * as remote, whatever its socket says.
 */
export function mayReadMetrics(req: Request, token: string | undefined): boolean {
  const authorization = req.get('authorization');
  if (token && authorization?.startsWith('Bearer ')) {
    return timingSafeEqual(digest(authorization.slice('Bearer '.length).trim()), digest(token));
  }
  const forwarded = req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined;
  return !forwarded && LOOPBACK.test(req.socket.remoteAddress ?? '');
}

type Collector = (out: Exposition) => Promise<void>;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${COLLECTOR_TIMEOUT_MS} ms`)), COLLECTOR_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function countByStatus(orm: MikroORM, table: string): Promise<Map<string, number>> {
  // Table names are constants of this module; nothing from a request reaches this SQL.
  const rows = (await orm.em.fork().getConnection().execute(`select status, count(*) as n from ${table} group by status`)) as {
    status: string;
    n: number | string;
  }[];
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

/** The database's figures, each a collector of its own so one failing query leaves the others in the scrape. */
function databaseCollectors(orm: MikroORM): Record<string, Collector> {
  return {
    recordings: async (out) => {
      const now = Date.now();
      const hourAgo = new Date(now - 3600_000);
      const count = await orm.em.fork().count(Recording, { createdAt: { $gte: hourAgo }, startedAt: { $gte: new Date(now - 3600_000 - LONGEST_CALL_MS) } });
      out.family('telrec_recordings_registered_last_hour', 'gauge', 'Recordings registered in the database during the last hour', [{ value: count }]);
    },
    openCases: async (out) => {
      const disclosure = await countByStatus(orm, 'disclosure_request');
      const fullRecording = await countByStatus(orm, 'full_recording_application');
      // Every open state is written, 0 included, so a series does not vanish when its last case moves on.
      const samples: Sample[] = [
        ...DISCLOSURE_STATUSES.filter((state) => !DISCLOSURE_ENDED.has(state)).map((state) => ({
          labels: { case_type: 'disclosure_request', state },
          value: disclosure.get(state) ?? 0,
        })),
        ...FULL_RECORDING_STATUSES.filter((state) => !FULL_RECORDING_ENDED.has(state)).map((state) => ({
          labels: { case_type: 'full_recording_application', state },
          value: fullRecording.get(state) ?? 0,
        })),
      ];
      out.family('telrec_open_cases', 'gauge', 'Disclosure requests (Art. 9) and full-recording applications (Art. 6) not yet ended, by state', samples);
    },
    overdueDestructionReports: async (out) => {
      const count = await orm.em.fork().count(DestructionReport, { reportedAt: null, dueAt: { $lt: new Date() } });
      out.family('telrec_destruction_reports_overdue', 'gauge', 'Form 3 destruction reports past their due date and not returned', [{ value: count }]);
    },
    retentionInventory: async (out) => {
      const last = await lastInventory(orm.em.fork());
      out.family(
        'telrec_retention_inventory_findings',
        'gauge',
        'Audio or files past their due time found by the last daily retention inventory, by kind (none until it has run)',
        Object.entries(last?.counts ?? {}).map(([kind, value]) => ({ labels: { kind }, value })),
      );
    },
    deletionLag: async (out) => {
      const em = orm.em.fork();
      const now = new Date();
      const oldest = await em.findOne(Recording, await unheldDueFilter(em, now, now), { orderBy: { retentionDueAt: 'asc' }, fields: ['retentionDueAt'] });
      const lag = oldest ? Math.max(0, (now.getTime() - oldest.retentionDueAt.getTime()) / 1000) : 0;
      out.family(
        'telrec_deletion_lag_seconds',
        'gauge',
        'How long the oldest recording past its retention date, not held, has waited for deletion (0 when none)',
        [{ value: lag }],
      );
    },
  };
}

interface ApplianceHealth {
  rtsp?: {
    sessionsActive?: number;
    connectionsRefused?: number;
    authFailures?: number;
    authReplays?: number;
    authBlocks?: number;
    authRefusedBlocked?: number;
    rtp?: { received?: number; lost?: number };
  };
  registration?: { registered?: number; recovered?: number; waiting?: number };
  authAudit?: { writeFailures?: number };
  control?: { unauthorized?: number; notAllowed?: number; grantRefused?: number };
}

function captureCollector(capture: CaptureControlClient): Collector {
  return async (out) => {
    let report: ApplianceHealth;
    try {
      report = await capture.health();
    } catch (error) {
      out.family('telrec_capture_up', 'gauge', 'Whether the capture appliance answered its control API during this scrape', [{ value: 0 }]);
      throw error;
    }
    const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN);
    out.family('telrec_capture_up', 'gauge', 'Whether the capture appliance answered its control API during this scrape', [{ value: 1 }]);
    out.family('telrec_capture_active_calls', 'gauge', 'Calls the capture appliance is receiving now (RTSP sessions recording)', [
      { value: number(report.rtsp?.sessionsActive) },
    ]);
    out.family('telrec_capture_rtp_packets_received_total', 'counter', 'RTP packets received by the capture appliance since it started', [
      { value: number(report.rtsp?.rtp?.received) },
    ]);
    out.family('telrec_capture_rtp_packets_lost_total', 'counter', 'RTP packets never received in time (written as silence) since the appliance started', [
      { value: number(report.rtsp?.rtp?.lost) },
    ]);
    out.family(
      'telrec_capture_recordings_registered_total',
      'counter',
      'Recordings the capture appliance registered since it started (rate() gives recordings per hour)',
      [{ value: number(report.registration?.registered) }],
    );
    out.family('telrec_capture_registrations_waiting', 'gauge', 'Finished calls kept on disk waiting to be registered in the database', [
      { value: number(report.registration?.waiting) },
    ]);
    const rtsp = report.rtsp;
    out.family('telrec_capture_rtsp_connections_refused_total', 'counter', 'RTSP connections the capture appliance refused for capacity (503)', [
      { value: number(rtsp?.connectionsRefused) },
    ]);
    out.family('telrec_capture_rtsp_auth_failures_total', 'counter', 'RTSP Digest logins with a wrong device name or password', [
      { value: number(rtsp?.authFailures) },
    ]);
    out.family(
      'telrec_capture_rtsp_auth_replays_total',
      'counter',
      'RTSP Digest headers whose nonce count did not grow, refused as stale: a replayed header, or a device that never counts',
      [{ value: number(rtsp?.authReplays) }],
    );
    out.family('telrec_capture_rtsp_auth_blocks_total', 'counter', 'Addresses or device names blocked after repeated failed RTSP logins', [
      { value: number(rtsp?.authBlocks) },
    ]);
    out.family(
      'telrec_capture_rtsp_auth_refused_blocked_total',
      'counter',
      'RTSP requests and connections refused unchecked (403) while their source was blocked',
      [{ value: number(rtsp?.authRefusedBlocked) }],
    );
    out.family('telrec_capture_control_unauthorized_total', 'counter', 'Control API requests without a known client token (401)', [
      { value: number(report.control?.unauthorized) },
    ]);
    out.family(
      'telrec_capture_control_not_allowed_total',
      'counter',
      'Control API requests of a known client outside its scope (403 CLIENT_NOT_ALLOWED): a leaked token or a compromised host',
      [{ value: number(report.control?.notAllowed) }],
    );
    out.family(
      'telrec_capture_control_grant_refused_total',
      'counter',
      'Audio releases refused for their grant (403 GRANT_*): missing, forged, expired, not covering or already used',
      [{ value: number(report.control?.grantRefused) }],
    );
    out.family(
      'telrec_capture_auth_audit_write_failures_total',
      'counter',
      'Times the summary of failed logins, or the entry of a client refused beyond its scope, could not be written to the audit chain',
      [{ value: number(report.authAudit?.writeFailures) }],
    );
  };
}

/** The SDK's exporter has no authentication, so it listens on 127.0.0.1 and is read through this endpoint. */
function workerCollector(url: string): Collector {
  return async (out) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(COLLECTOR_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`worker metrics answered ${response.status}`);
    out.raw(await response.text());
  };
}

/** What /ready and /metrics answer with; the routes are declared in api/route-table/monitoring.ts. */
export interface Monitor {
  logger: Logger;
  /** The content of METRICS_TOKEN_FILE, if any (see mayReadMetrics). */
  metricsToken?: string;
  /** The checks /ready asks (readinessChecks). */
  readiness: Record<string, HealthCheck>;
  /** Every collector's figures, the request counters and the scrape's own, as the Prometheus text format. */
  scrape(): Promise<string>;
}

export function createMonitor(deps: MonitoringDeps): Monitor {
  const options = deps.monitoring ?? {};
  const http = options.http ?? new HttpMetrics();
  // The system passes its own logger; the default serves API suites that never look at monitoring.
  const logger = options.logger ?? createLogger({ component: 'metrics' }, 'error');
  const readiness = readinessChecks(deps.orm, deps.health);
  const collectionErrors = new CounterVec();
  const collectors: Record<string, Collector> = {
    ...databaseCollectors(deps.orm),
    capture: captureCollector(deps.capture),
    ...(options.workerMetricsUrl ? { worker: workerCollector(options.workerMetricsUrl) } : {}),
  };

  const scrape = async (): Promise<string> => {
    const started = process.hrtime.bigint();
    const names = Object.keys(collectors);
    // Each collector writes into its own exposition so a failure half-way leaves no half-written family behind...
    const parts = await Promise.all(
      names.map(async (name) => {
        const part = new Exposition();
        try {
          await withTimeout((collectors[name] as Collector)(part), name);
          return part;
        } catch (error) {
          collectionErrors.inc({ collector: name });
          logger.warn('metrics collector failed', { collector: name, error });
          // ...except the capture collector's `up 0`, which is the point of it.
          return name === 'capture' ? part : undefined;
        }
      }),
    );
    const out = new Exposition();
    for (const part of parts) if (part) out.raw(part.text());
    http.write(out);
    out.family(
      'telrec_metrics_collection_errors_total',
      'counter',
      'Metric collectors that failed or timed out, by collector (each logged)',
      collectionErrors.samples(),
    );
    out.family('telrec_metrics_scrape_duration_seconds', 'gauge', 'How long this scrape took to collect', [
      { value: Number(process.hrtime.bigint() - started) / 1e9 },
    ]);
    return out.text();
  };

  return { logger, metricsToken: options.metricsToken, readiness, scrape };
}
