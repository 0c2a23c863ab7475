/**
 * What the retention suites share: a real capture appliance holding real encrypted files over a real SQLite
 * database, recordings registered as the appliance registers them, and the checks that one was deleted beyond
 * recovery (tombstone, no key, no file, one audit entry) or kept whole.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAppliance, type Appliance } from '../../capture/appliance';
import { CaptureControlClient } from '../../capture/control-client';
import { CHUNK_AUDIO_BYTES } from '../../capture/recording-store';
import { newDataKey } from '../../infra/crypto/envelope';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import { createTestDatabase, type TestDatabase } from './databases';
import { controlTokens } from './appliance';
import { freePort } from './ports';
import { TEST_GRANT_KEYS } from './grants';

const MINUTE = 60_000;

export interface RetentionFixture {
  readonly db: TestDatabase;
  readonly calendar: LegalCalendar;
  readonly appliance: Appliance;
  readonly capture: CaptureControlClient;
  readonly controlUrl: string;
  /** The worker's token, which deletes. */
  readonly workerToken: string;
  /** The appliance's data folder (files under recordings/). */
  readonly dataDir: string;
  /** A real recording started at that instant: an encrypted file written by the appliance's store, registered. */
  record(startedAt: Date): Promise<Recording>;
  /** Seoul local time on a day, e.g. at(day, 23, 59). */
  at(day: string, hours: number, minutes: number): Date;
  expectDeleted(recording: Recording): Promise<void>;
  expectKept(recording: Recording): Promise<void>;
  close(): Promise<void>;
}

export async function createRetentionFixture(options: { clock?: () => Date; driver?: 'sqlite' | 'postgresql' } = {}): Promise<RetentionFixture> {
  const [db, calendar] = await Promise.all([createTestDatabase(options.driver ?? 'sqlite'), loadLegalCalendar('Asia/Seoul')]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'retention-'));
  const tokens = controlTokens();
  const first = (await freePort()) & ~1;
  const appliance = await startAppliance({
    dataDir,
    masterKey: newDataKey(),
    orm: db.orm,
    calendar,
    retentionPeriod: loadSettings({}).retentionPeriod,
    logger: createLogger({ component: 'retention-test' }, 'error'),
    rtsp: { host: '127.0.0.1', port: 0, rtpPorts: { first, last: first + 7 }, sessionTimeoutMs: 10_000, devices: new Map() },
    control: { port: await freePort(), tokens },
    grantPublicKey: TEST_GRANT_KEYS.publicKey,
    clock: options.clock,
  });
  const controlUrl = `http://127.0.0.1:${appliance.controlPort}`;
  const capture = new CaptureControlClient({ baseUrl: controlUrl, token: tokens.worker });
  const em = db.orm.em.fork();
  const welfare = new Department('welfare', '복지정책과', 'department');
  const extension = new Extension('02-2680-1234', welfare);
  em.persist([welfare, extension]);
  await em.flush();

  let sequence = 0;
  const fileOf = (storageKey: string) => path.join(dataDir, 'recordings', storageKey);
  const reload = (recording: Recording) => db.orm.em.fork().findOneOrFail(Recording, recording.id, { populate: ['wrappedKey'] });

  return {
    db,
    calendar,
    appliance,
    capture,
    controlUrl,
    workerToken: tokens.worker,
    dataDir,
    async record(startedAt) {
      sequence += 1;
      const callId = `ret-${sequence}`;
      const recordingId = crypto.randomUUID();
      const writer = await appliance.store.open({ recordingId, codec: 'PCMU', startedAt, metadata: { callId } });
      await writer.append(new Uint8Array(CHUNK_AUDIO_BYTES).fill(0x42));
      const finished = await writer.finish();
      const { recording } = await appliance.registrar.register({
        callId,
        extension: extension.number,
        otherParty: '010-1234-5678',
        direction: 'inbound',
        startedAt,
        notices: ['verbal:official'],
        codec: 'PCMU',
        storageKey: finished.storageKey,
        wrappedKey: finished.wrappedKey,
        sha256: finished.sha256,
        durationMs: finished.durationMs,
        sizeBytes: finished.sizeBytes,
        recovered: false,
      });
      await appliance.store.acknowledge(recordingId);
      return recording;
    },
    at: (day, hours, minutes) => new Date(calendar.startOfDay(day).getTime() + (hours * 60 + minutes) * MINUTE),
    async expectDeleted(recording) {
      const row = await reload(recording);
      expect(row.deletedAt).toBeInstanceOf(Date);
      // The tombstone keeps id, hash and times; the key, the other party and the file are gone.
      expect({ key: row.wrappedKey ?? null, other: row.otherPartyNumber ?? null, file: row.storageKey ?? null }).toEqual({
        key: null,
        other: null,
        file: null,
      });
      expect(row.sha256).toBe(recording.sha256);
      expect(existsSync(fileOf(recording.storageKey as string))).toBe(false);
      expect(await db.orm.em.fork().count(AuditEvent, { action: 'recording.deleted', targetId: recording.id })).toBe(1);
    },
    async expectKept(recording) {
      const row = await reload(recording);
      expect(row.deletedAt ?? null).toBeNull();
      expect(row.wrappedKey).toBeTruthy();
      expect(existsSync(fileOf(recording.storageKey as string))).toBe(true);
    },
    async close() {
      await appliance.stop();
      await db.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
