/**
 * `npm run bench:retention`: a city's day of recordings — 50,000, each a real encrypted file in the capture
 * appliance's store and a row in the database — all due at once, deleted by the day's retention workflow on the
 * Temporal dev server (tools/bin/temporal) with a real worker and the real appliance, in SQLite and in PostgreSQL 15
 * (a throw-away server of its own). Prints, per database: time to delete all, deletions per second, open workflows
 * at peak, and the memory of this process (worker and appliance). Target: all deleted in under 5 minutes (printed,
 * never fails the run). Exits non-zero if anything was left undeleted or deleted twice.
 *
 * BENCH_RECORDINGS (50000), BENCH_DATABASES (sqlite,postgresql). The workflow deletes in batches of 500.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { startAppliance } from '../../capture/appliance';
import { CaptureControlClient } from '../../capture/control-client';
import type { FinishedRecording } from '../../capture/recording-store';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { newDataKey } from '../../infra/crypto/envelope';
import { DevelopmentDirectory } from '../../infra/directory/development-directory';
import { createMailer } from '../../infra/mail';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadLegalCalendar } from '../../infra/holidays';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import { startDevServer } from '../../infra/temporal/dev-server';
import { startRetentionDay } from '../../infra/temporal/retention';
import type { RetentionDayStatus } from '../../workflows/retention';
import { WORKFLOWS_PATH } from '../../infra/temporal/workflows-path';
import { controlTokens } from '../support/appliance';
import { freePort } from '../support/ports';
import { TEST_GRANT_KEYS } from '../support/grants';
import { openDatabase, stopServersLeft, type Driver } from './databases';

const RECORDINGS = Number(process.env.BENCH_RECORDINGS ?? 50_000);
const DATABASES = (process.env.BENCH_DATABASES ?? 'sqlite,postgresql').split(',') as Driver[];
const TARGET_S = 300;
const SEED_CONCURRENCY = 16;

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function runOne(driver: Driver, temporalAddress: string, dayOffset: number): Promise<boolean> {
  const database = await openDatabase(driver);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-retention-'));
  const calendar = await loadLegalCalendar('Asia/Seoul');
  const masterKey = newDataKey();
  const logger = createLogger({ component: 'bench-retention' }, 'warn');
  const first = (await freePort()) & ~1;
  const tokens = controlTokens();
  const appliance = await startAppliance({
    dataDir,
    masterKey,
    orm: database.orm,
    calendar,
    retentionPeriod: loadSettings({}).retentionPeriod,
    logger,
    rtsp: { host: '127.0.0.1', port: 0, rtpPorts: { first, last: first + 7 }, sessionTimeoutMs: 10_000, devices: new Map() },
    control: { port: await freePort(), tokens },
    grantPublicKey: TEST_GRANT_KEYS.publicKey,
  });
  const capture = new CaptureControlClient({ baseUrl: `http://127.0.0.1:${appliance.controlPort}`, token: tokens.worker });
  try {
    console.log(`\n${driver}: ${database.describe}`);
    // A day 40 + n days ago: its recordings are all past due now.
    const day = calendar.localDate(new Date(Date.now() - (40 + dayOffset) * 86_400_000));
    const dayStart = calendar.startOfDay(day).getTime();
    const em = database.orm.em.fork();
    const department = new Department('bench', '복지정책과', 'department');
    const extension = new Extension('02-2680-1234', department);
    em.persist([department, extension]);
    await em.flush();

    const seedStart = performance.now();
    const audio = new Uint8Array(1600).fill(0x55);
    const seeds: { index: number; startedAt: Date; finished: FinishedRecording }[] = [];
    await inParallel(
      Array.from({ length: RECORDINGS }, (_, index) => index),
      SEED_CONCURRENCY,
      async (index) => {
        const startedAt = new Date(dayStart + Math.floor((index / RECORDINGS) * 86_000_000));
        const recordingId = randomUUID();
        const writer = await appliance.store.open({ recordingId, codec: 'PCMU', startedAt, metadata: { callId: `bench-${index}` } });
        await writer.append(audio);
        const finished = await writer.finish();
        await appliance.store.acknowledge(recordingId);
        seeds.push({ index, startedAt, finished });
      },
    );
    const retention = loadSettings({}).retentionPeriod;
    for (let offset = 0; offset < seeds.length; offset += 1000) {
      const chunk = database.orm.em.fork();
      for (const { index, startedAt, finished } of seeds.slice(offset, offset + 1000)) {
        const row = new Recording(
          `bench-${index}`,
          chunk.getReference(Extension, extension.id),
          startedAt,
          'inbound',
          'selective',
          'PCMU',
          calendar.retentionDueAt(startedAt, retention),
        );
        Object.assign(row, {
          otherPartyNumber: '010-1234-5678',
          durationMs: finished.durationMs,
          sizeBytes: finished.sizeBytes,
          endedAt: startedAt,
          storageKey: finished.storageKey,
          sha256: finished.sha256,
          wrappedKey: finished.wrappedKey,
        });
        chunk.persist(row);
      }
      await chunk.flush();
    }
    console.log(`  seeded ${RECORDINGS.toLocaleString('en-US')} recordings (files and rows) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const connection = await NativeConnection.connect({ address: temporalAddress });
    const clientConnection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection: clientConnection });
    const taskQueue = `bench-retention-${driver}`;
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: createActivities({
        orm: database.orm,
        calendar,
        documents: createDocumentStore({ dataDir, masterKey }),
        templatesDir: undefined,
        capture,
        directory: new DevelopmentDirectory(),
        grantSigningKey: TEST_GRANT_KEYS.privateKey,
        site: { municipalityName: '광명시', timeZone: 'Asia/Seoul', reportPeriod: '30일' },
        mailer: createMailer({ smtpUrl: undefined, mailFrom: 'recording@localhost', dataDir }),
        auditArchive: { folder: path.join(dataDir, 'audit-archive'), signingKey: generateKeyPairSync('ed25519').privateKey },
      }),
    });
    let peakRss = process.memoryUsage().rss;
    let peakOpen = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        const { count } = await client.workflow.count(`WorkflowType = "retentionDayWorkflow" AND ExecutionStatus = "Running"`);
        peakOpen = Math.max(peakOpen, count);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const started = performance.now();
    const status = await worker.runUntil(async () => {
      const sample = seeds[0] as (typeof seeds)[number];
      const dueAt = calendar.retentionDueAt(sample.startedAt, retention);
      const { workflowId, runId } = await startRetentionDay(client, taskQueue, calendar, { startedAt: sample.startedAt, retentionDueAt: dueAt });
      const handle = client.workflow.getHandle(workflowId, runId);
      return handle.result() as Promise<RetentionDayStatus>;
    });
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    await connection.close();
    await clientConnection.close();

    const check = database.orm.em.fork();
    const left = await check.count(Recording, { deletedAt: null });
    const deletedEvents = await check.count(AuditEvent, { action: 'recording.deleted' });
    const filesLeft = readdirSync(path.join(dataDir, 'recordings'), { recursive: true }).filter((name) => String(name).endsWith('.rec')).length;
    const ok = left === 0 && deletedEvents === RECORDINGS && filesLeft === 0;
    console.log(
      `  deleted ${status.deleted.toLocaleString('en-US')} in ${status.batches} batches: ${seconds.toFixed(1)} s, ${(status.deleted / seconds).toFixed(0)} deletions/s ${seconds <= TARGET_S ? '(target under 5 min: met)' : '(target under 5 min: MISSED)'}`,
    );
    console.log(`  open retention workflows at peak: ${peakOpen} (one per recording day); peak RSS of worker + appliance: ${mib(peakRss)} MiB`);
    console.log(
      `  check: ${left} rows left undeleted, ${deletedEvents.toLocaleString('en-US')} deletion audit entries, ${filesLeft} files left ${ok ? 'OK' : 'FAILED'}`,
    );
    return ok;
  } finally {
    await appliance.stop();
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporalData = mkdtempSync(path.join(os.tmpdir(), 'bench-retention-temporal-'));
  const devServer = await startDevServer({
    dataDir: temporalData,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logger: createLogger({ component: 'bench-retention' }, 'warn'),
  });
  console.log(
    `retention benchmark: ${RECORDINGS.toLocaleString('en-US')} recordings of one day, all due; Temporal dev server ${devServer.address}; Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  let ok = true;
  try {
    for (const [index, driver] of DATABASES.entries()) ok = (await runOne(driver, devServer.address, index)) && ok;
  } finally {
    await devServer.stop();
    rmSync(temporalData, { recursive: true, force: true });
  }
  if (!ok) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    stopServersLeft();
    process.exit(1);
  });
}
