/**
 * Issue 19 in the capture appliance: every copy of a call's audio on the 30-day clock.
 *
 * Unregistered recordings — a call refused at registration (an extension the table does not know) or a file that cannot
 * be read — are listed with why and since when (audited once), shown to the managing department by the API, registered
 * later with the due date they had, and destroyed by the reconciliation at that due time like a registered recording
 * (key region overwritten before the unlink, row marked, audited). The control API's inventory walks the store for the
 * daily retention proof: a clean store reports nothing; a planted file past its time, a file nothing accounts for, a
 * tombstone whose file survived and a registered recording past due and the grace hour are found, a held one is not;
 * only the worker's token may ask. On SQLite and PostgreSQL, with a real appliance and a real API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LegalCalendar } from '../../domain/legal-period';
import { AuditEvent, Department, Extension, Recording, RecordingHold, UnregisteredRecording } from '../../infra/db/entities';
import { seedDevelopmentOrganisation } from '../../infra/db/development-organisation';
import { loadLegalCalendar } from '../../infra/holidays';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import { SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import { pushCall } from '../../capture/rtsp-push';
import { CaptureControlError } from '../../capture/control-client';
import type { InventoryReport } from '../../capture/control-contract';
import { createInventory, INVENTORY_GRACE_MS, walkStore } from '../../capture/inventory';
import { newDataKey } from '../../infra/crypto/envelope';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { DEVICE, startTestAppliance, type TestAppliance } from '../support/appliance';
import { loggedIn, startTestApi, type TestApi } from '../support/api';
import { eventually } from '../support/eventually';

const logger = createLogger({ component: 'unregistered-test' }, 'error');
const period = loadSettings({}).retentionPeriod;
const DAY_MS = 86_400_000;
/** Offsets of the key region destroy() overwrites: the magic, the id and the wrapped key's length and start. */
const KEY_REGION = 8 + 2 + 36 + 2 + 16;

describe.each(availableDrivers())('unregistered recordings and the inventory on %s', (driver) => {
  let db: TestDatabase;
  let capture: TestAppliance;
  let api: TestApi;
  let calendar: LegalCalendar;
  let welfare: Department;

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    calendar = await loadLegalCalendar('Asia/Seoul');
    const organisation = await seedDevelopmentOrganisation(db.orm.em.fork());
    welfare = organisation.departments.get('복지정책과') as Department;
    capture = await startTestAppliance(db.orm);
    api = await startTestApi(db.orm, { capture: capture.clients.api });
  });
  afterAll(async () => {
    await api?.close();
    await capture?.close();
    await db?.dispose();
  });

  const em = () => db.orm.em.fork();
  const fileOf = (storageKey: string) => path.join(capture.dataDir, 'recordings', ...storageKey.split('/'));
  const audits = (action: string, targetId?: string) => em().find(AuditEvent, { action, ...(targetId ? { targetId } : {}) }, { orderBy: { seq: 'asc' } });
  const addExtension = async (number: string) => {
    const fork = em();
    fork.persist(new Extension(number, fork.getReference(Department, welfare.id)));
    await fork.flush();
  };
  const listed = (callId: string) => eventually(() => em().findOne(UnregisteredRecording, { callId }), { within: '10s', what: `call ${callId} listed` });

  /** A finished recording made by the store itself, dated as asked; acknowledged means the appliance will not register it. */
  const stored = async (call: { callId: string; extension: string; startedAt: Date; acknowledge?: boolean }) => {
    const recordingId = randomUUID();
    const writer = await capture.appliance.store.open({
      recordingId,
      codec: 'PCMU',
      startedAt: call.startedAt,
      metadata: {
        callId: call.callId,
        extension: call.extension,
        otherParty: '010-3333-4444',
        direction: 'inbound',
        notices: JSON.stringify(['verbal:official']),
        mode: 'selective',
      },
    });
    await writer.append(new Uint8Array(1600).fill(0x55));
    const finished = await writer.finish();
    if (call.acknowledge) await capture.appliance.store.acknowledge(recordingId);
    return { recordingId, ...finished };
  };

  test('a call refused for an unknown extension is listed once with why and since when, shown to the managing department, and registered later with its due date', async () => {
    const callId = `unknown-${driver}`;
    await capture.clients.pbx.recordButton(callId, 'start');
    await pushCall({
      url: `rtsp://127.0.0.1:${capture.appliance.rtspPort}/calls/${callId}`,
      credentials: DEVICE,
      transport: 'tcp',
      logger,
      codec: 'PCMU',
      metadata: { callId, extension: '02-2680-7001', otherParty: '010-2222-3333', direction: 'inbound', notices: ['announcement:played'] },
      durationMs: 600,
      audio: () => new Uint8Array(SAMPLES_PER_PACKET).fill(0x55),
    });
    const row = await listed(callId);
    expect(row).toMatchObject({
      code: 'UNKNOWN_EXTENSION',
      reason: '내선번호표에 없는 내선 (02-2680-7001)',
      extension: '02-2680-7001',
      startedAtBasis: 'call',
      attempts: 1,
      registeredAt: null,
      destroyedAt: null,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The storage period of a registered recording: the same calendar, the same period, from the call's start.
    expect(row.retentionDueAt.toISOString()).toBe(calendar.retentionDueAt(row.startedAt, period).toISOString());
    expect(row.storageKey).toMatch(new RegExp(`/${row.id}\\.rec$`));
    expect(existsSync(fileOf(row.storageKey as string))).toBe(true);

    // Tried again every reconciliation: counted, never audited again.
    await capture.appliance.reconcile();
    await capture.appliance.reconcile();
    const tried = await em().findOneOrFail(UnregisteredRecording, row.id);
    expect(tried.attempts).toBe(3);
    expect(tried.lastTriedAt.getTime()).toBeGreaterThan(row.lastTriedAt.getTime());
    const entries = await audits('recording.unregistered', row.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'system:capture',
      role: 'system',
      targetType: 'recording',
      reason: '미등록 녹취: 내선번호표에 없는 내선 (02-2680-7001)',
    });
    expect(JSON.parse(entries[0]!.detail)).toMatchObject({
      callId,
      code: 'UNKNOWN_EXTENSION',
      extension: '02-2680-7001',
      retentionDueAt: row.retentionDueAt.toISOString(),
    });
    expect(await capture.clients.worker.health()).toMatchObject({ unregistered: { listed: 1 } });

    // The managing department sees it (JSON and the page), the read audited; an official does not.
    const operator = await loggedIn(api.url, 'operator');
    const { status, body } = await operator.json<{ open: number; items: Record<string, unknown>[] }>('GET', '/api/unregistered-recordings?state=open');
    expect(status).toBe(200);
    expect(body.open).toBe(1);
    expect(body.items).toEqual([
      expect.objectContaining({
        recordingId: row.id,
        callId,
        extension: '02-2680-7001',
        code: 'UNKNOWN_EXTENSION',
        codeLabel: '내선번호표에 없는 내선',
        reason: '내선번호표에 없는 내선 (02-2680-7001)',
        startedAt: row.startedAt.toISOString(),
        firstRefusedAt: row.firstRefusedAt.toISOString(),
        retentionDueAt: row.retentionDueAt.toISOString(),
        attempts: 3,
        state: 'open',
        destroyedAt: null,
      }),
    ]);
    const read = (await audits('unregistered_recordings.read')).at(-1);
    expect(read).toMatchObject({ actor: 'lee.operator', role: 'operator' });
    expect(JSON.parse(read!.detail)).toMatchObject({ resultIds: [row.id] });
    const html = await (await operator.request('GET', '/unregistered-recordings')).text();
    expect(html).toContain('미등록 녹취');
    expect(html).toContain('내선번호표에 없는 내선 (02-2680-7001)');
    expect((await (await loggedIn(api.url, 'staff')).json('GET', '/api/unregistered-recordings')).status).toBe(403);

    // The extension added: the next reconciliation registers it, under the store's id, with the due date it had.
    await addExtension('02-2680-7001');
    await expect(capture.appliance.reconcile()).resolves.toBe(0);
    const recording = await em().findOneOrFail(Recording, { callId });
    expect(recording.id).toBe(row.id);
    expect(recording.retentionDueAt.toISOString()).toBe(row.retentionDueAt.toISOString());
    expect((await em().findOneOrFail(UnregisteredRecording, row.id)).registeredAt).toBeInstanceOf(Date);
    const registered = await audits('recording.registered', row.id);
    expect(registered).toHaveLength(1);
    expect(registered[0]!.reason).toBe('통화 녹취 등록 (미등록 녹취였음)');
    expect(JSON.parse(registered[0]!.detail)).toMatchObject({
      callId,
      previouslyUnregistered: {
        code: 'UNKNOWN_EXTENSION',
        since: row.firstRefusedAt.toISOString(),
        attempts: 3,
        retentionDueAt: row.retentionDueAt.toISOString(),
      },
    });
    const after = await operator.json<{ open: number; items: { recordingId: string; state: string }[] }>('GET', '/api/unregistered-recordings');
    expect(after.body.open).toBe(0);
    expect(after.body.items).toContainEqual(expect.objectContaining({ recordingId: row.id, state: 'registered' }));
  });

  test('registered ten days late, a recording keeps the due date counted from its call, not from its registration', async () => {
    const startedAt = new Date(Date.now() - 10 * DAY_MS);
    const { recordingId } = await stored({ callId: `late-${driver}`, extension: '02-2680-7002', startedAt });
    await capture.appliance.reconcile();
    const row = await em().findOneOrFail(UnregisteredRecording, recordingId);
    const due = calendar.retentionDueAt(startedAt, period);
    expect(row).toMatchObject({ code: 'UNKNOWN_EXTENSION', startedAtBasis: 'call' });
    expect(row.retentionDueAt.toISOString()).toBe(due.toISOString());

    await addExtension('02-2680-7002');
    await capture.appliance.reconcile();
    const recording = await em().findOneOrFail(Recording, recordingId);
    expect(recording.retentionDueAt.toISOString()).toBe(due.toISOString());
    expect(recording.retentionDueAt.getTime()).toBeLessThan(calendar.retentionDueAt(new Date(), period).getTime());
  });

  test('an unregistered recording past its due time is destroyed by the reconciliation: key region overwritten, file gone, row marked, audited', async () => {
    const { recordingId, storageKey } = await stored({ callId: `expired-${driver}`, extension: '02-2680-7003', startedAt: new Date(Date.now() - 40 * DAY_MS) });
    // Another name for the same file, outside the store: what the destruction does to the bytes stays visible there.
    const witness = path.join(capture.dataDir, `witness-${driver}.rec`);
    linkSync(fileOf(storageKey), witness);
    await capture.appliance.reconcile();
    const row = await em().findOneOrFail(UnregisteredRecording, recordingId);
    expect(row.retentionDueAt.getTime()).toBeLessThan(Date.now());
    expect(row.destroyedAt ?? null).toBeNull();

    await capture.appliance.reconcile();
    expect(existsSync(fileOf(storageKey))).toBe(false);
    expect(
      readFileSync(witness)
        .subarray(0, KEY_REGION)
        .every((byte) => byte === 0),
    ).toBe(true);
    expect((await em().findOneOrFail(UnregisteredRecording, recordingId)).destroyedAt).toBeInstanceOf(Date);
    const destroyed = await audits('recording.unregistered_destroyed', recordingId);
    expect(destroyed).toHaveLength(1);
    expect(destroyed[0]).toMatchObject({ actor: 'system:capture', role: 'system', reason: '미등록 녹취 보존기간 경과 삭제 (제8조 제1항)' });
    expect(JSON.parse(destroyed[0]!.detail)).toMatchObject({ callId: `expired-${driver}`, code: 'UNKNOWN_EXTENSION', storageKey });
    expect((await capture.appliance.store.unacknowledged()).found.map((entry) => entry.recordingId)).not.toContain(recordingId);
    // Nothing is left to register once the extension is there; nothing is destroyed twice.
    await addExtension('02-2680-7003');
    await capture.appliance.reconcile();
    expect(await em().findOne(Recording, recordingId)).toBeNull();
    expect(await audits('recording.unregistered_destroyed', recordingId)).toHaveLength(1);
    rmSync(witness);
  });

  test('a file that cannot be read is listed with the date of its file, said so, and destroyed on that clock', async () => {
    const { recordingId, storageKey } = await stored({ callId: `torn-${driver}`, extension: '02-2680-1234', startedAt: new Date() });
    const file = fileOf(storageKey);
    // The trailer cut off: the header still opens, the recording does not verify.
    truncateSync(file, readFileSync(file).length - 10);
    const modified = new Date(Date.now() - 40 * DAY_MS);
    utimesSync(file, modified, modified);
    await capture.appliance.reconcile();
    const row = await em().findOneOrFail(UnregisteredRecording, recordingId);
    expect(row).toMatchObject({ code: 'UNREADABLE', startedAtBasis: 'file_modified', storageKey, callId: null });
    expect(row.startedAt.toISOString()).toBe(modified.toISOString());
    expect(row.reason).toMatch(/^녹취 파일을 읽을 수 없음: .+ — 보존기간 기산: 파일 수정 시각/);
    expect(row.retentionDueAt.toISOString()).toBe(calendar.retentionDueAt(modified, period).toISOString());
    await capture.appliance.reconcile();
    expect(existsSync(file)).toBe(false);
    expect((await em().findOneOrFail(UnregisteredRecording, recordingId)).destroyedAt).toBeInstanceOf(Date);
  });

  describe('the inventory', () => {
    const inventory = (request: Parameters<TestAppliance['clients']['worker']['inventory']>[0] = {}) => capture.clients.worker.inventory(request);
    const kinds = (report: InventoryReport) => report.findings.map((finding) => `${finding.kind} ${finding.recordingId ?? finding.storageKey}`).sort();

    test('a clean store: every file accounted for, nothing reported; the run audited once under the worker', async () => {
      const before = (await audits('recording.inventory')).length;
      const report = await inventory({ run: `clean-${driver}` });
      expect(report).toMatchObject({ next: null, from: null, graceMs: INVENTORY_GRACE_MS, findings: [], findingsTruncated: false });
      // Two registered recordings with files (the refused call and the late one); the others were destroyed.
      expect(report.counts).toMatchObject({ files: 2, recordings: 2, registered: 2, orphans: 0, tombstoned: 0, unregistered: 0, findings: 0 });
      const entries = await audits('recording.inventory');
      expect(entries).toHaveLength(before + 1);
      expect(entries.at(-1)).toMatchObject({ actor: 'capture-client:worker', role: 'system', targetType: 'recording_store', targetId: `clean-${driver}` });
      expect(JSON.parse(entries.at(-1)!.detail)).toMatchObject({ run: `clean-${driver}`, next: null, counts: { files: 2, findings: 0 }, findings: [] });
    });

    test('only the worker may ask: the API and the PBX are refused and audited', async () => {
      for (const client of ['api', 'pbx'] as const) {
        const refusal = await capture.clients[client].inventory().catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(CaptureControlError);
        expect(refusal).toMatchObject({ code: 'CLIENT_NOT_ALLOWED', status: 403 });
      }
      expect((await audits('capture_control.refused')).slice(-2).map((entry) => `${entry.actor} ${entry.targetId}`)).toEqual([
        'capture-client:api POST /inventory',
        'capture-client:pbx POST /inventory',
      ]);
      const raw = (body: unknown) =>
        fetch(`${capture.controlUrl}/inventory`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${capture.tokens.worker}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (const body of [{ after: '../keys' }, { after: '2026/../../x' }, { budgetMs: 10 }, { maxFindings: 1_000_000 }, { asOf: 'yesterday' }, { extra: 1 }]) {
        expect({ body, status: (await raw(body)).status }).toEqual({ body, status: 400 });
      }
    });

    test('planted files past their time, a surviving tombstone and a registered recording past due are found; a held one, one within the grace and a live call are not', async () => {
      const now = Date.now();
      // A recording the database never heard of, from forty days ago (its header says so).
      const planted = await stored({ callId: `planted-${driver}`, extension: '02-2680-1234', startedAt: new Date(now - 40 * DAY_MS), acknowledge: true });
      // One from today, equally unknown: not due yet, so counted but not reported.
      const young = await stored({ callId: `young-${driver}`, extension: '02-2680-1234', startedAt: new Date(now), acknowledge: true });
      // Bytes no header can be read from, in an old day folder, last changed forty days ago.
      const garbageKey = `2000/01/01/${randomUUID()}.rec`;
      mkdirSync(path.dirname(fileOf(garbageKey)), { recursive: true });
      writeFileSync(fileOf(garbageKey), randomBytes(4096));
      const old = new Date(now - 40 * DAY_MS);
      utimesSync(fileOf(garbageKey), old, old);
      // A registered recording deleted in the database whose file was never destroyed.
      const tombstone = await em().findOneOrFail(Recording, { callId: `unknown-${driver}` });
      await em().nativeUpdate(Recording, { id: tombstone.id }, { deletedAt: new Date(), storageKey: null, wrappedKey: null, deletionReason: '보존기간 경과' });
      // A registered recording two hours past due, and the legacy kind whose row has an id of its own (found by call id).
      const late = await em().findOneOrFail(Recording, { callId: `late-${driver}` });
      await em().nativeUpdate(Recording, { id: late.id }, { retentionDueAt: new Date(now - 2 * 3_600_000) });
      const legacyFile = await stored({ callId: `legacy-${driver}`, extension: '02-2680-1234', startedAt: new Date(now - 40 * DAY_MS), acknowledge: true });
      const fork = em();
      const legacy = new Recording(
        `legacy-${driver}`,
        await fork.findOneOrFail(Extension, { number: '02-2680-1234' }),
        new Date(now - 40 * DAY_MS),
        'inbound',
        'selective',
        'PCMU',
        new Date(now - 30 * 60_000),
      );
      legacy.storageKey = legacyFile.storageKey;
      await fork.persist(legacy).flush();
      // A call being recorded: its .partial is fresh.
      const live = await capture.appliance.store.open({
        recordingId: randomUUID(),
        codec: 'PCMU',
        startedAt: new Date(now - 50 * DAY_MS),
        metadata: { callId: 'live' },
      });
      await live.append(new Uint8Array(1600));
      await live.flush();

      const report = await inventory({ run: `planted-${driver}` });
      expect(kinds(report)).toEqual(
        [
          `orphan ${planted.recordingId}`,
          `orphan ${garbageKey.split('/')[3]!.replace('.rec', '')}`,
          `past_due ${late.id}`,
          `tombstone_file ${tombstone.id}`,
        ].sort(),
      );
      const finding = (kind: string) => report.findings.find((item) => item.kind === kind)!;
      expect(report.findings.find((item) => item.recordingId === planted.recordingId)).toEqual({
        recordingId: planted.recordingId,
        storageKey: planted.storageKey,
        kind: 'orphan',
        file: 'recording',
        dueAt: calendar.retentionDueAt(new Date(now - 40 * DAY_MS), period).toISOString(),
        dueFrom: 'header',
        reason: expect.stringContaining('녹취정보도 미등록 목록에도 없음'),
      });
      expect(report.findings.find((item) => item.storageKey === garbageKey)).toMatchObject({
        kind: 'orphan',
        dueFrom: 'file_modified',
        recordingId: expect.any(String),
      });
      expect(finding('past_due')).toMatchObject({ storageKey: late.storageKey, dueFrom: 'recording', dueAt: new Date(now - 2 * 3_600_000).toISOString() });
      expect(finding('tombstone_file')).toMatchObject({ storageKey: tombstone.storageKey, dueFrom: 'recording' });
      expect(report.counts).toMatchObject({
        files: 6,
        recordings: 6,
        livePartials: 1,
        registered: 2,
        tombstoned: 1,
        orphans: 3,
        unreadable: 1,
        held: 0,
        findings: 4,
      });
      expect(report.findings.map((item) => item.recordingId)).not.toContain(young.recordingId);

      // Held by a valid hold: counted as held, not reported; released, reported again.
      const holding = em();
      const hold = new RecordingHold(holding.getReference(Recording, late.id), '소송 자료 보전', 'kim.chief');
      await holding.persist(hold).flush();
      const held = await inventory();
      expect(kinds(held)).not.toContain(`past_due ${late.id}`);
      expect(held.counts).toMatchObject({ held: 1, findings: 3 });
      await em().nativeUpdate(RecordingHold, { id: hold.id }, { releasedAt: new Date() });
      expect(kinds(await inventory())).toContain(`past_due ${late.id}`);

      // Listed up to the limit asked, all counted; a part from a path on covers only what comes after it.
      const capped = await inventory({ maxFindings: 1 });
      expect(capped).toMatchObject({ findingsTruncated: true, counts: { findings: 4 } });
      expect(capped.findings).toHaveLength(1);
      const after = await inventory({ after: '2000/01/01/zzz' });
      expect(after.counts.files).toBe(5);
      expect(after.findings.map((item) => item.storageKey)).not.toContain(garbageKey);
      // The whole run part after part, judged as of one instant: the same findings.
      const whole = await capture.clients.worker.inventoryAll({ run: `whole-${driver}` });
      expect(kinds(whole)).toEqual(kinds(await inventory()));
      // As of an instant before the grace ran out, the recording due two hours ago is within it.
      const earlier = await inventory({ asOf: new Date(now - 2 * 3_600_000 + INVENTORY_GRACE_MS - 60_000) });
      expect(kinds(earlier)).not.toContain(`past_due ${late.id}`);

      await live.finish();
    });
  });
});

describe('the inventory walk', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'inventory-walk-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const put = (relative: string, modified?: Date) => {
    const file = path.join(root, 'recordings', ...relative.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'not a recording');
    if (modified) utimesSync(file, modified, modified);
  };
  const walked = async (after?: string) => {
    const paths: string[] = [];
    for await (const segments of walkStore(path.join(root, 'recordings'), after?.split('/'))) paths.push(segments.join('/'));
    return paths;
  };

  test('in path order, the journal left out, and from any point on: exactly what comes after it', async () => {
    for (const relative of ['2026/11/02/c.rec', '2026/11/01/b.rec', '2026/11/01/a.rec', 'partial/x.partial', 'unacknowledged/j', 'zz-stray']) put(relative);
    const all = await walked();
    expect(all).toEqual(['2026/11/01/a.rec', '2026/11/01/b.rec', '2026/11/02/c.rec', 'partial/x.partial', 'zz-stray']);
    for (const [index, after] of all.entries()) expect(await walked(after)).toEqual(all.slice(index + 1));
    // A cursor naming a file gone since, or a folder on the way: the walk goes on from where it would have been.
    expect(await walked('2026/11/01/aa.rec')).toEqual(all.slice(1));
    expect(await walked('2026/11')).toEqual(all);
    expect(await walked('2026/11/01')).toEqual(all);
    expect(await walked('zzz')).toEqual([]);
    rmSync(path.join(root, 'recordings'), { recursive: true, force: true });
  });

  test('a walk longer than its budget answers in parts, each going on after the last file it judged, together the whole', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const old = new Date(Date.now() - 40 * DAY_MS);
      const names = Array.from({ length: 1_100 }, (_, index) => `2026/10/${String(1 + (index % 3)).padStart(2, '0')}/${randomUUID()}.rec`);
      for (const name of names) put(name, old);
      const inventory = createInventory({
        dataDir: root,
        masterKey: newDataKey(),
        orm: db.orm,
        calendar: await loadLegalCalendar('Asia/Seoul'),
        retentionPeriod: period,
        sessionTimeoutMs: 10_000,
      });
      const asOf = new Date();
      const parts: InventoryReport[] = [];
      let after: string | undefined;
      do {
        // No time at all: each part judges one batch and stops.
        const part = await inventory({ asOf, after, budgetMs: 0, maxFindings: 10_000 });
        parts.push(part);
        after = part.next ?? undefined;
      } while (after !== undefined);
      expect(parts.map((part) => part.counts.files)).toEqual([500, 500, 100]);
      expect(parts.slice(0, -1).map((part) => part.next)).toEqual(parts.slice(1).map((part) => part.from));
      const found = parts.flatMap((part) => part.findings.map((finding) => finding.storageKey));
      expect(found).toEqual([...names].sort());
      expect(parts.every((part) => part.findings.every((finding) => finding.kind === 'orphan' && finding.dueFrom === 'file_modified'))).toBe(true);
    } finally {
      await db.dispose();
      rmSync(path.join(root, 'recordings'), { recursive: true, force: true });
    }
  });
});
