/**
 * The capture appliance as the system uses it: calls pushed over RTSP by our own client end up as registered
 * recordings, and the control API — the only way in for the rest of the system — sets modes (read back from the
 * database, audited), presses the record button, reports health, and destroys only files that are due and not held.
 * Each client has its own token file, read as the processes read it; one rotated leaves the others working.
 * On SQLite and PostgreSQL. Every refusal is checked to change nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditEvent, Department, Extension, Recording, RecordingHold } from '../../infra/db/entities';
import { newDataKey } from '../../infra/crypto/envelope';
import { loadLegalCalendar } from '../../infra/holidays';
import { createLogger } from '../../infra/logger';
import { CAPTURE_CLIENTS, loadCaptureControlToken, loadCaptureSecrets, type CaptureClient } from '../../infra/keys';
import { loadSettings } from '../../infra/settings';
import { startAppliance, type Appliance } from '../../capture/appliance';
import { CaptureControlClient, CaptureControlError } from '../../capture/control-client';
import { pushCall } from '../../capture/rtsp-push';
import { SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { freePort } from '../support/ports';
import { approvedGrant, approveFullRecording } from '../support/approvals';
import { TEST_GRANT_KEYS } from '../support/grants';
import { eventually } from '../support/eventually';

const logger = createLogger({ component: 'appliance-test' }, 'error');
const DEVICE = { username: 'pbx-1', password: 'a device password' };
const FULL = '02-2680-5000';
const SELECTIVE = '02-2680-1234';

describe.each(availableDrivers())('capture appliance on %s', (driver) => {
  let db: TestDatabase;
  let dataDir: string;
  let appliance: Appliance;
  let worker: CaptureControlClient;
  let pbx: CaptureControlClient;
  const masterKey = newDataKey();
  /** Kept across restarts, as in production: a client holds one address. */
  let controlPort: number;
  /** The secret files as production has them (never created here: `production`), one per client. */
  let secretFiles: Parameters<typeof loadCaptureSecrets>[0];
  const tokenFile = (client: CaptureClient) =>
    ({ api: secretFiles.captureControlApiTokenFile, worker: secretFiles.captureControlWorkerTokenFile, pbx: secretFiles.captureControlPbxTokenFile })[client];
  const writeToken = (client: CaptureClient) => writeFileSync(tokenFile(client), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  /** A client as its process makes it: with the token it reads from its own file. */
  const clientOf = (client: CaptureClient) =>
    new CaptureControlClient({ baseUrl: `http://127.0.0.1:${appliance.controlPort}`, token: loadCaptureControlToken(secretFiles, client) });

  const start = async () => {
    const secrets = loadCaptureSecrets(secretFiles);
    const first = (await freePort()) & ~1;
    appliance = await startAppliance({
      dataDir,
      masterKey,
      orm: db.orm,
      calendar: await loadLegalCalendar('Asia/Seoul'),
      retentionPeriod: loadSettings({}).retentionPeriod,
      logger,
      rtsp: {
        host: '127.0.0.1',
        port: 0,
        rtpPorts: { first, last: first + 31 },
        sessionTimeoutMs: 10_000,
        devices: secrets.devices,
      },
      control: { port: controlPort, tokens: secrets.controlTokens },
      grantPublicKey: TEST_GRANT_KEYS.publicKey,
    });
    worker = clientOf('worker');
    pbx = clientOf('pbx');
  };

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'appliance-'));
    controlPort = await freePort();
    const keys = path.join(dataDir, 'keys');
    mkdirSync(keys, { mode: 0o700 });
    secretFiles = {
      environment: 'production',
      captureControlApiTokenFile: path.join(keys, 'capture-control-api.token'),
      captureControlWorkerTokenFile: path.join(keys, 'capture-control-worker.token'),
      captureControlPbxTokenFile: path.join(keys, 'capture-control-pbx.token'),
      captureDevicesFile: path.join(keys, 'capture-devices'),
    };
    for (const client of CAPTURE_CLIENTS) writeToken(client);
    writeFileSync(secretFiles.captureDevicesFile, `${DEVICE.username}:${DEVICE.password}\n`, { mode: 0o600 });
    const em = db.orm.em.fork();
    const welfare = new Department(`W-${driver}`, '복지정책과', 'department');
    const full = new Extension(FULL, welfare);
    approveFullRecording(em, full);
    em.persist([welfare, new Extension(SELECTIVE, welfare), full]);
    await em.flush();
    await start();
  });

  afterAll(async () => {
    await appliance?.stop();
    await db?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** RTP packets our client has sent so far per call (the official's track): the call's progress without a clock. */
  const sentPackets = new Map<string, number>();
  const push = (callId: string, extension: string, durationMs = 600, notices = ['announcement:played']) =>
    pushCall({
      url: `rtsp://127.0.0.1:${appliance.rtspPort}/calls/${callId}`,
      credentials: DEVICE,
      transport: 'tcp',
      logger,
      codec: 'PCMA',
      metadata: { callId, extension, otherParty: '010-2222-3333', direction: 'inbound', notices },
      durationMs,
      audio: (party, index) => {
        if (party === 'official') sentPackets.set(callId, index + 1);
        return new Uint8Array(SAMPLES_PER_PACKET).fill(0x55);
      },
    });
  /** Registration follows TEARDOWN's answer (which waits only for the file): asked until it is there. */
  const recordingOf = (callId: string) =>
    eventually(() => db.orm.em.fork().findOne(Recording, { callId }), { within: '10s', what: `call ${callId} registered` });
  /** RTP packets the appliance's server has received since `before`, both parties together. */
  const receivedSince = (before: { rtp: { received: number } }) => appliance.server.stats.rtp.received - before.rtp.received;
  const auditCount = () => db.orm.em.fork().count(AuditEvent, {});
  const raw = (method: string, route: string, init: { token?: string; body?: string; type?: string } = {}) =>
    fetch(`http://127.0.0.1:${appliance.controlPort}${route}`, {
      method,
      headers: {
        ...(init.token === undefined ? {} : { Authorization: `Bearer ${init.token}` }),
        ...(init.type === undefined ? {} : { 'Content-Type': init.type }),
      },
      body: init.body,
    });

  test('every request needs a client token; a wrong one is refused the same way and counted', async () => {
    for (const token of [undefined, 'wrong', `${loadCaptureControlToken(secretFiles, 'worker')}x`]) {
      const response = await raw('GET', '/health', { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('토큰') } });
    }
    const health = await worker.health();
    expect(health).toMatchObject({ state: 'up', rtsp: { port: appliance.rtspPort }, control: { unauthorized: 3 } });
    expect((health.disk as { freeBytes: number }).freeBytes).toBeGreaterThan(0);
  });

  test('a call on a full extension becomes a registered recording; health counts it', async () => {
    await push('full-1', FULL);
    const recording = await recordingOf('full-1');
    expect(recording).toMatchObject({ mode: 'full', codec: 'PCMA', recovered: false, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(existsSync(path.join(dataDir, 'recordings', recording.storageKey as string))).toBe(true);
    // Acknowledged right after the row is committed.
    await eventually(async () => (await appliance.store.unacknowledged()).found.length === 0, { within: '5s', every: 20, what: 'the recording acknowledged' });
    expect(await appliance.store.unacknowledged()).toEqual({ found: [], failed: [] });
    expect(await worker.health()).toMatchObject({ registration: { registered: 1, waiting: 0 }, rtsp: { recordingsFinished: 1 } });
  });

  test("setting a mode: read back from the database, audited once under the worker's name, applied from the next call", async () => {
    const { token: grant, grant: approval } = await approvedGrant(db.orm, SELECTIVE);
    const before = await auditCount();
    const view = await worker.setExtensionMode(SELECTIVE, { mode: 'full', onBehalfOf: 'system:full-recording', reason: '전수 녹취 승인 2026-0001', grant });
    expect(view).toEqual({ number: SELECTIVE, mode: 'full', fullRecordingSince: expect.any(String) });
    expect(await worker.extensionMode(SELECTIVE)).toEqual(view);
    // Again: nothing changes, nothing more is audited.
    await worker.setExtensionMode(SELECTIVE, { mode: 'full', onBehalfOf: 'system:full-recording', reason: '재시도', grant });
    expect(await auditCount()).toBe(before + 1);
    const event = await db.orm.em.fork().findOne(AuditEvent, { action: 'extension.mode_changed' });
    // The actor is the client the token proved; the workflow it says it acts for is only its word.
    expect(event).toMatchObject({ actor: 'capture-client:worker', sourceAddress: '127.0.0.1', targetId: SELECTIVE, reason: '전수 녹취 승인 2026-0001' });
    expect(JSON.parse(event!.detail)).toEqual({
      from: 'selective',
      to: 'full',
      onBehalfOf: 'system:full-recording',
      grantId: approval.id,
      approvalId: approval.case.id,
      approvedBy: approval.subject,
      approvedUntil: approval.notAfter,
    });
    await push('now-full', SELECTIVE);
    expect(await recordingOf('now-full')).toMatchObject({ mode: 'full' });
    await worker.setExtensionMode(SELECTIVE, { mode: 'selective', onBehalfOf: 'system:full-recording', reason: '기간 종료' });
    expect(await worker.extensionMode(SELECTIVE)).toEqual({ number: SELECTIVE, mode: 'selective', fullRecordingSince: null });
  });

  test('bad requests get a clear code and change nothing', async () => {
    const before = await auditCount();
    const workerToken = loadCaptureControlToken(secretFiles, 'worker');
    const pbxToken = loadCaptureControlToken(secretFiles, 'pbx');
    const put = (body: string, type = 'application/json', number = SELECTIVE) =>
      raw('PUT', `/extensions/${encodeURIComponent(number)}/mode`, { token: workerToken, body, type });
    const cases: [Promise<Response>, number, string][] = [
      [put('{"mode":"always","onBehalfOf":"a","reason":"r"}'), 400, 'INVALID_INPUT'],
      [put('{"mode":"full","onBehalfOf":"a","reason":"r","extra":1}'), 400, 'INVALID_INPUT'],
      [put('{"mode":"full","onBehalfOf":"a b","reason":"r"}'), 400, 'INVALID_INPUT'],
      [put('{"mode":'), 400, 'INVALID_INPUT'],
      [put('mode=full', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [put(JSON.stringify({ mode: 'full', onBehalfOf: 'a', reason: 'x'.repeat(20_000) })), 413, 'BODY_TOO_LARGE'],
      [put('{"mode":"full","onBehalfOf":"a","reason":"r"}', 'application/json', '02-9999-9999'), 404, 'NOT_FOUND'],
      [put('{"mode":"full","onBehalfOf":"a","reason":"r"}', 'application/json', "1' OR '1'='1"), 400, 'INVALID_INPUT'],
      // The body that named the actor itself is refused: the actor is the client, never the body's word.
      [put('{"mode":"full","actor":"someone.else","reason":"r"}'), 400, 'INVALID_INPUT'],
      [raw('GET', '/extensions/%E0%A4%A', { token: workerToken }), 400, 'INVALID_INPUT'],
      [raw('POST', '/health', { token: workerToken }), 405, 'METHOD_NOT_ALLOWED'],
      [raw('GET', '/recordings/../../keys', { token: workerToken }), 404, 'NOT_FOUND'],
      [raw('DELETE', '/recordings/not-a-uuid', { token: workerToken }), 400, 'INVALID_INPUT'],
      [raw('POST', '/calls/a%0Ab/record-button', { token: pbxToken, body: '{"action":"start"}', type: 'application/json' }), 400, 'INVALID_INPUT'],
    ];
    for (const [request, status, code] of cases) {
      const response = await request;
      expect({ status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code }).toEqual({ status, code });
    }
    expect(await auditCount()).toBe(before);
    expect(await worker.extensionMode(SELECTIVE)).toMatchObject({ mode: 'selective' });
  });

  test('the record button through the control API starts a selective recording; without it nothing is kept', async () => {
    const before = appliance.server.stats;
    const call = push('button-1', SELECTIVE, 1500);
    // Pressed once the server has 20 packets of each party (over TCP they come in the order sent, official first).
    await eventually(() => receivedSince(before) >= 40, { within: '10s', every: 10, what: 'the call under way' });
    await expect(pbx.recordButton('button-1', 'start')).resolves.toEqual({ callId: 'button-1', result: 'started' });
    const { packets } = await call;
    const recording = await recordingOf('button-1');
    expect(recording).toMatchObject({ mode: 'selective' });
    // From the press on: the 20 packets (20 ms each) the server had of each party before it are not in the recording.
    expect(recording.durationMs).toBeLessThanOrEqual((packets - 20) * 20);
    const beforeNoButton = appliance.server.stats;
    await push('no-button', SELECTIVE);
    // Counted when the session ended, before TEARDOWN was answered: no recording was started, so no row can come.
    expect(appliance.server.stats).toMatchObject({
      callsNotRecorded: beforeNoButton.callsNotRecorded + 1,
      recordingsStarted: beforeNoButton.recordingsStarted,
    });
    expect(await db.orm.em.fork().findOne(Recording, { callId: 'no-button' })).toBeNull();
    // A press for a call that has not reached RECORD yet is kept for it.
    await expect(pbx.recordButton('not-yet', 'start')).resolves.toEqual({ callId: 'not-yet', result: 'pending' });
    await push('not-yet', SELECTIVE);
    expect(await recordingOf('not-yet')).toMatchObject({ mode: 'selective' });
  });

  test('Art. 7: the record button brings the notice evidence of a selective call; a recording without any is flagged', async () => {
    const pressed = async (callId: string, presses: { notice?: string }[]) => {
      const call = push(callId, SELECTIVE, 1200, []);
      // Pressed during the call: our client sends RTP only after RECORD was answered.
      await eventually(() => (sentPackets.get(callId) ?? 0) >= 5, { within: '10s', every: 10, what: `call ${callId} under way` });
      for (const press of presses) await pbx.recordButton(callId, 'start', press);
      await call;
      return recordingOf(callId);
    };
    // The official confirmed having told the other party, with the press.
    expect(await pressed('told-verbally', [{ notice: 'verbal:official' }])).toMatchObject({
      mode: 'selective',
      noticeGiven: true,
      noticeEvidence: 'verbal:official',
      complianceException: null,
    });
    // The PBX played its short notice for a press that came before the call reached RECORD.
    await expect(pbx.recordButton('told-early', 'start', { notice: 'announcement:played@2026-11-28T01:00:00Z' })).resolves.toMatchObject({
      result: 'pending',
    });
    expect(await pressed('told-early', [])).toMatchObject({ noticeEvidence: 'announcement:played@2026-11-28T01:00:00Z', complianceException: null });
    // Evidence from a second press, after the recording's file was opened by the first, still counts.
    expect(await pressed('told-late', [{}, { notice: 'verbal:official' }])).toMatchObject({ noticeGiven: true, complianceException: null });
    // Nothing with the call, nothing with the press: recorded, and shown as an exception.
    expect(await pressed('not-told', [{}])).toMatchObject({ mode: 'selective', noticeGiven: false, complianceException: 'notice_missing' });

    const before = await auditCount();
    const pbxToken = loadCaptureControlToken(secretFiles, 'pbx');
    const press = (body: string) => raw('POST', '/calls/refused-notice/record-button', { token: pbxToken, body, type: 'application/json' });
    for (const body of [
      '{"action":"stop","notice":"verbal:official"}',
      '{"action":"start","notice":"verbal\u0000official"}',
      `{"action":"start","notice":"${'x'.repeat(257)}"}`,
    ]) {
      const response = await press(body);
      expect({ status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code }).toEqual({
        status: 400,
        code: 'INVALID_INPUT',
      });
    }
    expect(await auditCount()).toBe(before);
  });

  test('deletion destroys only a file that is due and not held; unknown ids are refused', async () => {
    const recording = await recordingOf('full-1');
    const file = path.join(dataDir, 'recordings', recording.storageKey as string);
    await expect(worker.destroyRecording(recording.id)).rejects.toMatchObject({ code: 'NOT_DUE', status: 409 });
    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(Recording, recording.id);
    row.retentionDueAt = new Date(Date.now() - 1000);
    const hold = new RecordingHold(row, '열람 신청 2026-0002', 'lee.operator');
    em.persist(hold);
    await em.flush();
    await expect(worker.destroyRecording(recording.id)).rejects.toMatchObject({ code: 'HELD' });
    expect(existsSync(file)).toBe(true);
    hold.releasedAt = new Date();
    await em.flush();
    await expect(worker.destroyRecording(recording.id)).resolves.toEqual({ recordingId: recording.id, storageKey: recording.storageKey });
    expect(existsSync(file)).toBe(false);
    // Retried by an activity: the same answer.
    await expect(worker.destroyRecording(recording.id)).resolves.toMatchObject({ recordingId: recording.id });
    await expect(worker.destroyRecording('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(CaptureControlError);
  });

  test('a call refused at registration keeps its file and is registered once the extension exists', async () => {
    // An extension the table does not know is selective: the button is what gets it recorded.
    await pbx.recordButton('unknown-ext', 'start');
    await push('unknown-ext', '02-2680-7777');
    // The registration was tried and refused: then, and not before, the absence of a row means something.
    await eventually(() => appliance.registrar.stats.unregistered === 1, { within: '10s', what: 'the registration of unknown-ext refused' });
    expect(await db.orm.em.fork().findOne(Recording, { callId: 'unknown-ext' })).toBeNull();
    expect(await worker.health()).toMatchObject({ registration: { unregistered: 1 } });
    const pending = await appliance.store.unacknowledged();
    expect(pending.found.map((entry) => entry.metadata.callId)).toEqual(['unknown-ext']);
    const em = db.orm.em.fork();
    const welfare = await em.findOneOrFail(Department, { code: `W-${driver}` });
    em.persist(new Extension('02-2680-7777', welfare));
    await em.flush();
    await expect(appliance.reconcile()).resolves.toBe(0);
    expect(await recordingOf('unknown-ext')).toMatchObject({ extension: expect.anything() });
  });

  test("a client's token rotated: after a restart its new token works, its old one is refused, the others go on", async () => {
    const oldApi = clientOf('api');
    await expect(oldApi.health()).resolves.toMatchObject({ state: 'up' });
    const [worker0, pbx0] = [worker, pbx];
    writeToken('api');
    await appliance.stop();
    await start();
    await expect(oldApi.health()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await expect(clientOf('api').health()).resolves.toMatchObject({ state: 'up' });
    // The worker and the PBX integration were not restarted: they hold the tokens they had, which still work.
    await expect(worker0.extensionMode(FULL)).resolves.toMatchObject({ mode: 'full' });
    await expect(pbx0.recordButton('after-rotation', 'start')).resolves.toEqual({ callId: 'after-rotation', result: 'pending' });
  });

  test('stopped in the middle of a call and started again: the call is finished, registered once, nothing waits', async () => {
    const before = appliance.server.stats;
    const call = push('across-restart', FULL, 5000).catch((error: Error) => error);
    // Stopped once the server has a second of the call: 50 packets of each party, in order over TCP.
    await eventually(() => receivedSince(before) >= 100, { within: '15s', every: 10, what: 'a second of the call received' });
    await appliance.stop();
    expect(await call).toBeInstanceOf(Error);
    await start();
    const recording = await recordingOf('across-restart');
    expect(recording).toMatchObject({ mode: 'full', recovered: false });
    // All that was received is kept: at least those 50 packets of 20 ms.
    expect(recording.durationMs).toBeGreaterThanOrEqual(50 * 20);
    expect(await appliance.reconcile()).toBe(0);
    expect(await db.orm.em.fork().count(Recording, { callId: 'across-restart' })).toBe(1);
  });
});
