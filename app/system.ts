/**
 * Brings the whole system up in order — Temporal (embedded dev server unless TEMPORAL_ADDRESS is set),
 * database and migrations, master key, holiday tables, worker, capture appliance (a child process), API — and
 * takes it down in reverse.
 * Every component started here is stopped by `stop()`, whatever failed on the way up.
 */
import type { MikroORM } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createApiServer, type ApiServer } from '../api/server';
import { diskSpaceCheck, type HealthCheck } from '../api/health';
import { monitoringOptions } from '../api/monitoring';
import { initOrm, migrate } from '../infra/db/orm';
import { createDirectory } from '../infra/directory';
import { loadGrantSigningKey } from '../infra/grants';
import { createDocumentStore } from '../infra/documents/document-store';
import { createMailer } from '../infra/mail';
import { loadLegalCalendar } from '../infra/holidays';
import { startCaptureProcess, type CaptureProcess } from './capture-process';
import { seedDevelopmentOrganisation } from '../infra/db/development-organisation';
import { loadAuditSigningKey, loadCaptureControlToken, loadMasterKey, readMasterKey, type CaptureClient } from '../infra/keys';
import { auditArchiveFolder } from '../infra/audit/audit-archive';
import { CaptureControlClient } from '../capture/control-client';
import type { Logger } from '../infra/logger';
import { approximateDays, describePeriodKo, formatPeriod } from '../domain/period';
import type { Settings } from '../infra/settings';
import { connectClient, connectWorker } from '../infra/temporal/connection';
import { startDevServer, type DevServer } from '../infra/temporal/dev-server';
import { FullRecordingWorkflows } from '../infra/temporal/full-recording';
import { DisclosureWorkflows } from '../infra/temporal/disclosure';
import { ensureRetentionInventorySchedule, ensureRetentionSweepSchedule, startRetentionDay } from '../infra/temporal/retention';
import { ensureDatabaseVacuumSchedule } from '../infra/temporal/database-vacuum';
import { ensureSchedule } from '../infra/temporal/schedules';
import { AccessReviewWorkflows } from '../infra/temporal/access-review';
import { HISTORY_ARCHIVE_SCHEDULE_ID, historyArchiveWorkflow } from '../workflows/history-archive';
import { ACCESS_REVIEW_SCHEDULE_ID, accessReviewWorkflow } from '../workflows/access-review';
import { AUDIT_ARCHIVE_SCHEDULE_ID, auditArchiveWorkflow } from '../workflows/audit-archive';
import { createWorker } from './worker';

export const COMPONENTS = ['api', 'worker', 'capture'] as const;
export type Component = (typeof COMPONENTS)[number];

const MINIMUM_FREE_DISK_BYTES = 1024 ** 3;

export interface RunningSystem {
  readonly apiUrl?: string;
  readonly temporalUiUrl?: string;
  /** Resolves if a component stops on its own (worker crash, dev server exit): the system must go down. */
  readonly failed: Promise<Error>;
  stop(): Promise<void>;
}

export async function startSystem(settings: Settings, logger: Logger, components: readonly Component[] = COMPONENTS): Promise<RunningSystem> {
  const stoppers: (() => Promise<void>)[] = [];
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (reportFailure = resolve));
  const stop = async () => {
    for (const stopper of stoppers.splice(0).reverse()) {
      try {
        await stopper();
      } catch (error) {
        logger.error('component failed to stop cleanly', { error });
      }
    }
  };

  try {
    let devServer: DevServer | undefined;
    if (!settings.temporalAddress) {
      devServer = await startDevServer({
        dataDir: settings.dataDir,
        port: settings.temporalDevPort,
        uiPort: settings.temporalUiPort,
        namespace: settings.temporalNamespace,
        logger,
      });
      stoppers.push(() => devServer!.stop());
      void devServer.exited.then((code) => reportFailure(new Error(`Temporal dev server exited (code ${code})`)));
    }

    // Checked (and in development created) before anything depends on it.
    const masterKey = loadMasterKey(settings);
    stoppers.push(async () => {
      masterKey.fill(0);
    });

    const orm: MikroORM = await initOrm(settings);
    stoppers.push(() => orm.close(true));
    const applied = await migrate(orm);
    logger.info('database ready', { driver: settings.databaseDriver, migrationsApplied: applied });
    if (settings.environment === 'development') {
      const seeded = await seedDevelopmentOrganisation(orm.em.fork());
      if (seeded.extensions.size > 0) logger.info('demo organisation added', { extensions: [...seeded.extensions.values()].map((e) => e.number) });
    }

    const calendar = await loadLegalCalendar(settings.timeZone);
    const { directory, description: directoryDescription } = createDirectory(settings);
    const client: Client = await connectClient(settings);
    stoppers.push(() => client.connection.close());

    // Each component reads only its own client's token, when it starts (issue 18): the API the API's, the worker and
    // the appliance's supervisor the worker's.
    const captureClients: Partial<Record<CaptureClient, CaptureControlClient>> = {};
    const captureClient = (client: CaptureClient) =>
      (captureClients[client] ??= new CaptureControlClient({ baseUrl: settings.captureControlUrl, token: loadCaptureControlToken(settings, client) }));

    const documents = createDocumentStore({ dataDir: settings.dataDir, masterKey });
    // A bad SMTP_URL stops start-up here, before anything would try to send.
    const mailer = createMailer(settings);
    stoppers.push(async () => mailer.close());
    let worker: Worker | undefined;
    if (components.includes('worker')) {
      const connection: NativeConnection = await connectWorker(settings);
      stoppers.push(() => connection.close());
      worker = await createWorker({
        connection,
        namespace: settings.temporalNamespace,
        taskQueue: settings.temporalTaskQueue,
        orm,
        calendar,
        documents,
        templatesDir: settings.templatesDir,
        capture: captureClient('worker'),
        directory,
        mailer,
        // The worker signs the grant a switch to full carries; the appliance holds only the public half.
        grantSigningKey: loadGrantSigningKey(settings),
        // Seals the audit entries past AUDIT_RETENTION_PERIOD (issue 19); production refuses to start the worker without it.
        auditArchive: { folder: auditArchiveFolder(settings.dataDir), signingKey: loadAuditSigningKey(settings) },
        site: { municipalityName: settings.municipalityName, timeZone: settings.timeZone, reportPeriod: describePeriodKo(settings.destructionReportPeriod) },
      });
      await ensureRetentionSweepSchedule(client, settings.temporalTaskQueue);
      await ensureRetentionInventorySchedule(client, settings.temporalTaskQueue, settings.timeZone, {
        graceMinutes: 60,
        caseAlerts: { signOffDays: settings.caseSignOffAlertDays, destructionReportDays: settings.caseForm3AlertDays },
        managingDepartmentEmail: settings.managingDepartmentEmail,
      });
      await ensureDatabaseVacuumSchedule(client, settings.temporalTaskQueue, settings.timeZone);
      await ensureSchedule(client, {
        scheduleId: HISTORY_ARCHIVE_SCHEDULE_ID,
        workflowType: historyArchiveWorkflow,
        taskQueue: settings.temporalTaskQueue,
        spec: { intervals: [{ every: '1 hour' }] },
        catchupWindow: '1 hour',
        executionTimeout: '1 hour',
      });
      // The first of each month at 09:00 in the city: the previous month's access report and the chief's task.
      await ensureSchedule(client, {
        scheduleId: ACCESS_REVIEW_SCHEDULE_ID,
        workflowType: accessReviewWorkflow,
        taskQueue: settings.temporalTaskQueue,
        spec: { calendars: [{ dayOfMonth: 1, hour: 9, minute: 0 }], timezone: settings.timeZone },
        catchupWindow: '1 day',
        args: [
          {
            readsPerDayLimit: settings.accessReviewReadsPerDay,
            refusalsPerDayLimit: settings.accessReviewRefusalsPerDay,
            reminderWorkingDays: settings.approvalReminderWorkingDays,
            timeZone: settings.timeZone,
          },
        ],
      });
      // Each night at 02:30 in the city: the audit entries older than AUDIT_RETENTION_PERIOD archived (issue 19).
      await ensureSchedule(client, {
        scheduleId: AUDIT_ARCHIVE_SCHEDULE_ID,
        workflowType: auditArchiveWorkflow,
        taskQueue: settings.temporalTaskQueue,
        spec: { calendars: [{ hour: 2, minute: 30 }], timezone: settings.timeZone },
        catchupWindow: '1 day',
        executionTimeout: '1 hour',
        args: [{ retentionPeriod: formatPeriod(settings.auditRetentionPeriod), timeZone: settings.timeZone }],
      });
      const running = worker.run();
      stoppers.push(async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
      });
      running.then(
        () => reportFailure(new Error('worker stopped')),
        (error: unknown) => reportFailure(error instanceof Error ? error : new Error(String(error))),
      );
    }

    let capture: CaptureProcess | undefined;
    if (components.includes('capture')) {
      capture = await startCaptureProcess({ controlPort: settings.captureControlPort, client: captureClient('worker'), logger });
      stoppers.push(() => capture!.stop());
      void capture.gaveUp.then(reportFailure);
    }

    const health: Record<string, HealthCheck> = {
      database: async () => {
        await orm.em.fork().getConnection().execute('select 1');
        return { state: 'up', detail: `${settings.databaseDriver} 연결됨` };
      },
      temporal: async () => {
        await client.workflowService.getSystemInfo({});
        return { state: 'up', detail: `${settings.temporalAddress ?? devServer?.address} (${settings.temporalNamespace})` };
      },
      mail: async () => {
        await mailer.check();
        return { state: 'up', detail: mailer.description };
      },
      masterKey: async () => {
        readMasterKey(settings.masterKeyFile).fill(0);
        return { state: 'up', detail: '키 파일 확인됨' };
      },
      legalCalendar: async () => {
        const thisYear = Number(calendar.localDate(new Date()).slice(0, 4));
        return calendar.lastCoveredYear > thisYear
          ? { state: 'up', detail: `${calendar.coveredYears[0]}–${calendar.lastCoveredYear}년` }
          : { state: 'down', detail: `${calendar.lastCoveredYear}년까지만 있음: 공휴일 표 갱신 필요` };
      },
      directory: async () => {
        await directory.check();
        return { state: 'up', detail: directoryDescription };
      },
      diskSpace: diskSpaceCheck(settings.dataDir, MINIMUM_FREE_DISK_BYTES),
    };
    // The appliance is checked wherever it runs: started here, or its own service in the telecom room.
    const supervised = capture;
    health.capture = async () => {
      const report = (await captureClient('api').health()) as {
        rtsp: { port: number; sessionsActive: number; rtp: { received: number; lost: number } };
        registration: { waiting: number };
      };
      const { rtsp, registration } = report;
      const waiting = registration.waiting > 0 ? `, 등록 대기 ${registration.waiting}건` : '';
      const restarts = supervised && supervised.restarts > 0 ? `, 재시작 ${supervised.restarts}회` : '';
      return {
        // Waiting registrations are named in the detail: the appliance still records (the files are kept).
        state: 'up',
        detail: `RTSP ${rtsp.port}, 녹취 중 ${rtsp.sessionsActive}건, 패킷 ${rtsp.rtp.received} (손실 ${rtsp.rtp.lost})${waiting}${restarts}`,
      };
    };
    if (worker) {
      const running = worker;
      health.worker = async () =>
        running.getState() === 'RUNNING'
          ? { state: 'up', detail: `작업 대기열 ${settings.temporalTaskQueue}` }
          : { state: 'down', detail: `상태 ${running.getState()}` };
    }

    let api: ApiServer | undefined;
    let apiUrl: string | undefined;
    if (components.includes('api')) {
      api = createApiServer({
        host: settings.apiHost,
        port: settings.apiPort,
        logger,
        orm,
        directory,
        calendar,
        health,
        municipalityName: settings.municipalityName,
        retentionPeriod: describePeriodKo(settings.retentionPeriod),
        timeZone: settings.timeZone,
        maxPrivilegedHolders: settings.maxPrivilegedHolders,
        holdMaxPeriod: settings.holdMaxPeriod,
        searchRangeDays: approximateDays(settings.retentionPeriod),
        capture: captureClient('api'),
        // Only the API's process reads it (it signs every audio release's grant); production refuses to start without it.
        grantSigningKey: loadGrantSigningKey(settings),
        exportPasswordMinLength: settings.exportPasswordMinLength,
        documents,
        attachments: { maxFiles: settings.attachmentMaxFiles, maxFileBytes: settings.attachmentMaxFileMegabytes * 1024 * 1024 },
        fullRecordingWorkflows: new FullRecordingWorkflows(client, settings.temporalTaskQueue),
        disclosureWorkflows: new DisclosureWorkflows(client, settings.temporalTaskQueue),
        accessReviewWorkflows: new AccessReviewWorkflows(client, settings.temporalTaskQueue),
        disclosure: disclosureSettings(settings),
        signOffLabels: settings.signOffLabels,
        fullRecordingApprovalChain: settings.fullRecordingApprovalChain,
        approvalReminderWorkingDays: settings.approvalReminderWorkingDays,
        templatesDir: settings.templatesDir,
        announcement: { text: settings.announcementText, audioFile: settings.announcementAudioFile },
        afterHoldReleased: async (recording) => {
          await startRetentionDay(client, settings.temporalTaskQueue, calendar, recording);
        },
        sessionTimeouts: {
          idleMinutes: settings.sessionIdleTimeoutMinutes,
          absoluteMinutes: settings.sessionAbsoluteTimeoutMinutes,
        },
        lockout: { maxFailures: settings.loginMaxFailures, lockoutMinutes: settings.loginLockoutMinutes, firstDelaySeconds: settings.loginDelaySeconds },
        loginRateLimitPerMinute: settings.loginRateLimitPerMinute,
        behindTlsProxy: settings.apiBehindTlsProxy,
        monitoring: monitoringOptions(settings, logger),
      });
      const address = await api.start();
      stoppers.push(() => api!.stop());
      apiUrl = `http://${address.address}:${address.port}`;
    }

    return { apiUrl, temporalUiUrl: devServer?.uiUrl, failed, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The disclosure lifecycle's settings as its workflow takes them (Art. 9). */
export function disclosureSettings(settings: Settings) {
  return {
    signOffChain: settings.disclosureSignOffChain,
    viewingWindowHours: settings.disclosureViewingWindowHours,
    destructionReport: {
      period: formatPeriod(settings.destructionReportPeriod),
      reminderDaysBefore: settings.destructionReportReminderDays,
      escalationAfterDays: settings.destructionReportEscalationAfter.amount,
      repeatEveryDays: settings.destructionReportRepeatEvery.amount,
    },
  };
}
