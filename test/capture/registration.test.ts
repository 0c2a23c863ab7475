import { randomBytes } from 'node:crypto';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent, Department, Extension, Recording } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import type { Logger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import {
  createRegistrar,
  fromFinishedCall,
  fromRecoveryReport,
  modeFor,
  RegistrationError,
  type CallToRegister,
  type Registrar,
  type Registration,
} from '../../capture/registration';
import type { FinishedCall } from '../../capture/rtsp-server';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { approveFullRecording } from '../support/approvals';
import { modeAt } from '../../domain/recording';
import { RecordButton } from '../../capture/record-button';
import { shouldRecord } from '../../domain/recording';

/** Keeps what was logged, so refusals can be shown to be logged (and the test output stays quiet). */
const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
const logger: Logger = {
  debug: (message, fields = {}) => logged.push({ level: 'debug', message, fields }),
  info: (message, fields = {}) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields = {}) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields = {}) => logged.push({ level: 'error', message, fields }),
  child: () => logger,
};
const loggedError = (callId: string) => logged.find((entry) => entry.level === 'error' && entry.fields.callId === callId);
const settings = loadSettings({});
const ANNOUNCEMENT = 'announcement:played@2026-11-26T14:59:02Z';

let callSeq = 0;
function call(overrides: Partial<CallToRegister> = {}): CallToRegister {
  callSeq += 1;
  return {
    callId: `call-${callSeq}-${randomBytes(4).toString('hex')}`,
    extension: '02-2680-1234',
    otherParty: '010-1234-5678',
    direction: 'inbound',
    startedAt: new Date('2026-11-26T05:04:58.123Z'),
    notices: ['verbal:official'],
    codec: 'PCMU',
    storageKey: `2026/11/26/${randomBytes(8).toString('hex')}.rec`,
    wrappedKey: randomBytes(60).toString('base64'),
    sha256: randomBytes(32).toString('hex'),
    durationMs: 61_020,
    sizeBytes: 976_378,
    recovered: false,
    ...overrides,
  };
}

describe.each(availableDrivers())('registration on %s', (driver) => {
  let db: TestDatabase;
  let calendar: LegalCalendar;
  let registrar: Registrar;
  const handedOn: Registration[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    calendar = await loadLegalCalendar('Asia/Seoul');
    const em = db.orm.em.fork();
    const welfare = new Department('GM-WELFARE', '복지정책과', 'department');
    const selective = new Extension('02-2680-1234', welfare);
    const full = new Extension('02-2680-5000', welfare);
    full.noticeMethod = 'announcement';
    full.fullRecordingSince = new Date('2026-11-01T00:00:00Z');
    approveFullRecording(em, full);
    em.persist([welfare, selective, full]);
    await em.flush();
    registrar = createRegistrar({
      orm: db.orm,
      calendar,
      retentionPeriod: settings.retentionPeriod,
      logger,
      afterRegistered: async (registration) => {
        handedOn.push(registration);
      },
    });
  });
  afterAll(async () => db?.dispose());

  const auditOf = (recordingId: string) => db.orm.em.fork().find(AuditEvent, { targetType: 'recording', targetId: recordingId }, { orderBy: { seq: 'asc' } });
  const rowOf = (callId: string) => db.orm.em.fork().findOne(Recording, { callId }, { populate: ['wrappedKey', 'extension'] });

  test('a finished call becomes a row with every field, an audit entry, and is handed on', async () => {
    const input = call({ notices: ['verbal:official', ANNOUNCEMENT] });
    const result = await registrar.register(input);
    expect(result.outcome).toBe('registered');
    expect(result.complianceException).toBeUndefined();

    const row = await rowOf(input.callId);
    expect(row).not.toBeNull();
    expect({
      id: row?.id,
      callId: row?.callId,
      extension: row?.extension.number,
      startedAt: row?.startedAt.toISOString(),
      endedAt: row?.endedAt?.toISOString(),
      direction: row?.direction,
      mode: row?.mode,
      codec: row?.codec,
      otherPartyNumber: row?.otherPartyNumber,
      noticeGiven: row?.noticeGiven,
      noticeEvidence: row?.noticeEvidence,
      durationMs: row?.durationMs,
      sizeBytes: row?.sizeBytes,
      storageKey: row?.storageKey,
      sha256: row?.sha256,
      wrappedKey: row?.wrappedKey,
      recovered: row?.recovered,
      retentionDueAt: row?.retentionDueAt.toISOString(),
    }).toEqual({
      id: result.recording.id,
      callId: input.callId,
      extension: '02-2680-1234',
      startedAt: '2026-11-26T05:04:58.123Z',
      endedAt: '2026-11-26T05:05:59.143Z',
      direction: 'inbound',
      mode: 'selective',
      codec: 'PCMU',
      otherPartyNumber: '010-1234-5678',
      noticeGiven: true,
      // The announcement first: it is the evidence R3 asks for.
      noticeEvidence: `${ANNOUNCEMENT}\nverbal:official`,
      durationMs: 61_020,
      sizeBytes: 976_378,
      storageKey: input.storageKey,
      sha256: input.sha256,
      wrappedKey: input.wrappedKey,
      recovered: false,
      // Recorded 2026-11-26 (KST), 30 days: due once 2026-12-26 has ended in Seoul.
      retentionDueAt: '2026-12-26T15:00:00.000Z',
    });

    const audit = await auditOf(row?.id as string);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'system:capture',
      role: 'system',
      action: 'recording.registered',
      targetType: 'recording',
      targetId: row?.id,
    });
    // No other party's number, no key, no storage path: only what the audit needs to identify the recording.
    expect(JSON.parse(audit[0]?.detail as string)).toEqual({
      callId: input.callId,
      extension: '02-2680-1234',
      sha256: input.sha256,
      durationMs: 61_020,
    });
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true });
    expect(handedOn.map((item) => item.recording.callId)).toContain(input.callId);
  });

  test('retention is counted from the Seoul date: 23:59 and 00:01 KST fall on different days', async () => {
    const beforeMidnight = call({ startedAt: new Date('2026-11-26T14:59:00Z') }); // 2026-11-26 23:59 KST
    const afterMidnight = call({ startedAt: new Date('2026-11-26T15:01:00Z') }); // 2026-11-27 00:01 KST
    await registrar.register(beforeMidnight);
    await registrar.register(afterMidnight);
    expect((await rowOf(beforeMidnight.callId))?.retentionDueAt.toISOString()).toBe('2026-12-26T15:00:00.000Z');
    expect((await rowOf(afterMidnight.callId))?.retentionDueAt.toISOString()).toBe('2026-12-27T15:00:00.000Z');
  });

  test('the same call registered twice at once gives one row, one audit entry and no error', async () => {
    const input = call();
    const before = { ...registrar.stats };
    const [first, second] = await Promise.all([registrar.register(input), registrar.register({ ...input })]);
    expect(first.recording.id).toBe(second.recording.id);
    expect([first.outcome, second.outcome].sort()).toEqual(['already-registered', 'registered']);
    expect(await db.orm.em.fork().count(Recording, { callId: input.callId })).toBe(1);
    expect(await auditOf(first.recording.id)).toHaveLength(1);
    expect(registrar.stats.duplicates).toBe(before.duplicates + 1);
    // A retry after a crash before the acknowledgement hands the call on again: the seam must be idempotent.
    expect(handedOn.filter((item) => item.recording.callId === input.callId)).toHaveLength(2);

    const again = await registrar.register(input);
    expect(again).toMatchObject({ outcome: 'already-registered', recording: { id: first.recording.id } });
    expect(await auditOf(first.recording.id)).toHaveLength(1);
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true });
  });

  test('different audio under a registered call id is a typed conflict and changes nothing', async () => {
    const input = call();
    const { recording } = await registrar.register(input);
    const conflicts = registrar.stats.conflicts;
    const error = await registrar
      .register({ ...input, sha256: randomBytes(32).toString('hex'), storageKey: '2026/11/26/other.rec' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistrationError);
    expect(error).toMatchObject({ code: 'CALL_ID_CONFLICT', callId: input.callId });
    expect(registrar.stats.conflicts).toBe(conflicts + 1);
    expect(loggedError(input.callId)?.fields).toMatchObject({ code: 'CALL_ID_CONFLICT' });
    const row = await rowOf(input.callId);
    expect({ sha256: row?.sha256, storageKey: row?.storageKey, updatedAt: row?.updatedAt }).toEqual({
      sha256: input.sha256,
      storageKey: input.storageKey,
      updatedAt: recording.updatedAt,
    });
    expect(await auditOf(recording.id)).toHaveLength(1);
  });

  test('an unknown extension is refused with a typed error, nothing written, and registers once the table knows it', async () => {
    const input = call({ extension: '02-2680-9999' });
    const auditCount = await db.orm.em.fork().count(AuditEvent);
    const unregistered = registrar.stats.unregistered;
    await expect(registrar.register(input)).rejects.toMatchObject({ name: 'RegistrationError', code: 'UNKNOWN_EXTENSION' });
    expect(registrar.stats.unregistered).toBe(unregistered + 1);
    expect(loggedError(input.callId)?.fields).toMatchObject({ code: 'UNKNOWN_EXTENSION', storageKey: input.storageKey });
    expect(await rowOf(input.callId)).toBeNull();
    expect(await db.orm.em.fork().count(AuditEvent)).toBe(auditCount);

    const em = db.orm.em.fork();
    const department = await em.findOneOrFail(Department, { code: 'GM-WELFARE' });
    em.persist(new Extension('02-2680-9999', department));
    await em.flush();
    await expect(registrar.register(input)).resolves.toMatchObject({ outcome: 'registered' });
  });

  test('a call without extension or direction is refused as incomplete, never guessed', async () => {
    await expect(registrar.register(call({ extension: undefined }))).rejects.toMatchObject({ code: 'INCOMPLETE_METADATA' });
    await expect(registrar.register(call({ direction: undefined }))).rejects.toMatchObject({ code: 'INCOMPLETE_METADATA' });
  });

  test('a full extension without announcement evidence is registered but flagged (R3)', async () => {
    const flagged = call({ extension: '02-2680-5000', notices: ['verbal:official'] });
    const exceptions = registrar.stats.complianceExceptions;
    const result = await registrar.register(flagged);
    expect(result).toMatchObject({ outcome: 'registered', complianceException: 'notice_missing', recording: { mode: 'full' } });
    expect(registrar.stats.complianceExceptions).toBe(exceptions + 1);
    const [entry] = await auditOf(result.recording.id);
    expect(JSON.parse(entry?.detail as string)).toMatchObject({ complianceException: 'notice_missing' });
    // Stored on the row, where the dashboard will list it.
    const stored = await db.orm.em.fork().findOneOrFail(Recording, result.recording.id);
    expect(stored.complianceException).toBe('notice_missing');
    // The retry reports the same exception, so whoever acts on the result sees it either way.
    await expect(registrar.register(flagged)).resolves.toMatchObject({ complianceException: 'notice_missing' });

    const announced = await registrar.register(call({ extension: '02-2680-5000', notices: [ANNOUNCEMENT] }));
    expect(announced.complianceException).toBeUndefined();
    expect(announced.recording.mode).toBe('full');

    // Before full recording was approved the extension was selective: the official's word was enough.
    const earlier = await registrar.register(call({ extension: '02-2680-5000', notices: ['verbal:official'], startedAt: new Date('2026-10-31T10:00:00Z') }));
    expect(earlier).toMatchObject({ recording: { mode: 'selective', noticeGiven: true } });
    expect(earlier.complianceException).toBeUndefined();
  });

  test('a selective recording (started by the button) without any notice evidence is flagged the same way (R3)', async () => {
    const exceptions = registrar.stats.complianceExceptions;
    const silent = await registrar.register(call({ notices: [] }));
    expect(silent).toMatchObject({ complianceException: 'notice_missing', recording: { mode: 'selective', noticeGiven: false } });
    expect(registrar.stats.complianceExceptions).toBe(exceptions + 1);
    expect(logged.some((entry) => entry.level === 'warn' && entry.fields.callId === silent.recording.callId && entry.fields.mode === 'selective')).toBe(true);
    // Either evidence will do for a selective call: the PBX's short notice, or the official's confirmation.
    for (const notices of [['verbal:official'], [ANNOUNCEMENT]]) {
      const told = await registrar.register(call({ notices }));
      expect(told).toMatchObject({ recording: { mode: 'selective', noticeGiven: true, noticeEvidence: notices[0] } });
      expect(told.complianceException).toBeUndefined();
    }
  });

  test('the mode the server applied at the call start wins over the table now', async () => {
    const result = await registrar.register(call({ extension: '02-2680-5000', mode: 'selective', notices: ['verbal:official'] }));
    expect(result.recording.mode).toBe('selective');
    expect(result.complianceException).toBeUndefined();
  });

  test('a recording finalised by crash recovery is registered as recovered', async () => {
    const callId = `recovered-${randomBytes(4).toString('hex')}`;
    const input = fromRecoveryReport({
      outcome: 'recovered',
      recordingId: '3f0c7a52-5d6b-4e8e-9b64-1a2b3c4d5e6f',
      codec: 'PCMA',
      startedAt: new Date('2026-11-26T01:00:00Z'),
      metadata: {
        callId,
        extension: '02-2680-1234',
        otherParty: null,
        direction: 'outbound',
        notices: JSON.stringify([]),
        device: 'pbx',
        sessionId: 'abc',
        layout: 'two-party',
      },
      droppedBytes: 120,
      storageKey: '2026/11/26/3f0c7a52-5d6b-4e8e-9b64-1a2b3c4d5e6f.rec',
      wrappedKey: 'd3JhcHBlZA==',
      sha256: 'a'.repeat(64),
      durationMs: 4_000,
      sizeBytes: 64_058,
      sampleFrames: 32_000,
    });
    const recovered = registrar.stats.recovered;
    const result = await registrar.register(input);
    expect(registrar.stats.recovered).toBe(recovered + 1);
    const row = await rowOf(callId);
    expect(row).toMatchObject({ recovered: true, codec: 'PCMA', direction: 'outbound', noticeGiven: false });
    expect(row?.otherPartyNumber ?? undefined).toBeUndefined();
    const [entry] = await auditOf(result.recording.id);
    expect(entry?.action).toBe('recording.recovered');
    expect(await verifyAuditChain(db.orm.em)).toMatchObject({ ok: true });
  });

  test('modeFor reads the extension table now; unknown extensions are undefined', async () => {
    const em = db.orm.em.fork();
    expect(await modeFor(em, '02-2680-5000')).toBe('full');
    expect(await modeFor(em, '02-2680-1234')).toBe('selective');
    expect(await modeFor(em, '02-0000-0000')).toBeUndefined();
  });
});

describe('adapters', () => {
  test('a finished call from the RTSP server maps onto a registration', () => {
    const finished = {
      recordingId: 'r',
      sessionId: 's',
      device: 'pbx',
      remoteAddress: '10.0.0.2',
      layout: 'two-party',
      endReason: 'teardown',
      codec: 'PCMA',
      mode: 'full',
      metadata: {
        callId: 'c-1',
        extension: '1234',
        otherParty: '010',
        direction: 'internal',
        startedAt: new Date('2026-11-26T00:00:00Z'),
        notices: [ANNOUNCEMENT],
      },
      recording: { storageKey: 'k', wrappedKey: 'w', sha256: 'h', durationMs: 1_000, sizeBytes: 16_058, sampleFrames: 8_000 },
      tracks: [],
      events: [],
      assembly: { frames: 0, paddedSamples: [0, 0], droppedSamples: 0, lostAfterFailure: 0, droppedEvents: 0, flushes: 0 },
    } satisfies FinishedCall;
    expect(fromFinishedCall(finished)).toEqual({
      callId: 'c-1',
      extension: '1234',
      otherParty: '010',
      direction: 'internal',
      startedAt: finished.metadata.startedAt,
      notices: [ANNOUNCEMENT],
      codec: 'PCMA',
      storageKey: 'k',
      wrappedKey: 'w',
      sha256: 'h',
      durationMs: 1_000,
      sizeBytes: 16_058,
      recovered: false,
      mode: 'full',
    });
  });

  test('a recovery report without a call id is refused; a completed one is not marked recovered', () => {
    const base = {
      recordingId: 'r',
      codec: 'PCMU' as const,
      startedAt: new Date(),
      droppedBytes: 0,
      storageKey: 'k',
      wrappedKey: 'w',
      sha256: 'h',
      durationMs: 1,
      sizeBytes: 1,
      sampleFrames: 8,
    };
    expect(() => fromRecoveryReport({ ...base, outcome: 'recovered', metadata: {} })).toThrow(RegistrationError);
    const completed = fromRecoveryReport({ ...base, outcome: 'completed', metadata: { callId: 'c', direction: 'sideways' } });
    expect(completed).toMatchObject({ recovered: false, direction: undefined, extension: undefined, notices: [], mode: undefined });
    const selective = fromRecoveryReport({ ...base, outcome: 'recovered', metadata: { callId: 'c', mode: 'selective' } });
    expect(selective).toMatchObject({ recovered: true, mode: 'selective' });
  });
});

describe('recording modes and the record button (R1)', () => {
  const at = (iso: string) => new Date(`2026-11-26T05:${iso}Z`);

  test('a full extension records every instant; a selective one only from the button on', () => {
    expect(shouldRecord('full', [], at('00:00'))).toBe(true);
    const button = new RecordButton();
    expect(shouldRecord('selective', button.intervals('c'), at('00:10'))).toBe(false);
    expect(button.start('c', at('00:10'))).toBe(true);
    expect(shouldRecord('selective', button.intervals('c'), at('00:09'))).toBe(false);
    expect(shouldRecord('selective', button.intervals('c'), at('00:10'))).toBe(true);
    expect(shouldRecord('selective', button.intervals('c'), at('59:59'))).toBe(true);
    expect(button.stop('c', at('01:00'))).toBe(true);
    expect(shouldRecord('selective', button.intervals('c'), at('01:00'))).toBe(false);
    expect(button.start('c', at('02:00'))).toBe(true);
    expect(shouldRecord('selective', button.intervals('c'), at('01:30'))).toBe(false);
    expect(shouldRecord('selective', button.intervals('c'), at('02:30'))).toBe(true);
    // An extension the table does not know is treated as selective: nothing without the button.
    expect(shouldRecord(undefined, [], at('00:00'))).toBe(false);
    expect(shouldRecord(undefined, button.intervals('c'), at('02:30'))).toBe(true);
  });

  test('presses out of order are refused, repeated ones change nothing', () => {
    const button = new RecordButton();
    expect(button.stop('c', at('00:05'))).toBe(true); // off already
    expect(button.intervals('c')).toEqual([]);
    button.start('c', at('00:10'));
    expect(button.start('c', at('00:20'))).toBe(true); // on already
    expect(button.start('c', at('00:05'))).toBe(false);
    expect(button.stop('c', at('00:01'))).toBe(false);
    button.stop('c', at('00:30'));
    expect(button.start('c', at('00:25'))).toBe(false);
    expect(button.intervals('c')).toEqual([{ startedAt: at('00:10'), stoppedAt: at('00:30') }]);
    expect(button.stats.refused).toBe(3);
  });

  test('a press carries its notice evidence; a second press while on may bring what the first lacked (Art. 7)', () => {
    const button = new RecordButton();
    button.start('c', at('00:10'));
    expect(button.notices('c')).toEqual([]);
    expect(button.start('c', at('00:12'), 'verbal:official')).toBe(true);
    // The first evidence stays; the interval still starts at the first press.
    button.start('c', at('00:14'), 'announcement:played@2026-11-26T05:00:14Z');
    expect(button.intervals('c')).toEqual([{ startedAt: at('00:10'), notice: 'verbal:official' }]);
    button.stop('c', at('00:30'));
    expect(button.intervals('c')).toEqual([{ startedAt: at('00:10'), stoppedAt: at('00:30'), notice: 'verbal:official' }]);
    button.start('c', at('00:40'), 'announcement:played@2026-11-26T05:00:40Z');
    button.start('c', at('00:41'), 'verbal:official');
    expect(button.notices('c')).toEqual(['verbal:official', 'announcement:played@2026-11-26T05:00:40Z']);
  });

  test('the registry is bounded in calls and in presses per call', () => {
    const button = new RecordButton(3, 2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) button.start(id, at('00:00'));
    expect(button.size).toBe(3);
    expect(button.stats.evicted).toBe(2);
    expect(button.intervals('a')).toEqual([]);
    expect(button.intervals('e')).toHaveLength(1);
    button.stop('e', at('00:01'));
    expect(button.start('e', at('00:02'))).toBe(true);
    button.stop('e', at('00:03'));
    expect(button.start('e', at('00:04'))).toBe(false);
    button.forget('e');
    expect(button.size).toBe(2);
  });

  test('a full extension is selective before its approved start', () => {
    const since = new Date('2026-11-01T00:00:00Z');
    expect(modeAt({ mode: 'full', fullRecordingSince: since }, new Date('2026-10-31T23:59:59Z'))).toBe('selective');
    expect(modeAt({ mode: 'full', fullRecordingSince: since }, since)).toBe('full');
    expect(modeAt({ mode: 'full', fullRecordingSince: undefined }, since)).toBe('full');
    expect(modeAt({ mode: 'selective', fullRecordingSince: since }, since)).toBe('selective');
  });
});
