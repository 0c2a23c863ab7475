/**
 * The party's own export (issue 6, R5) through the real API and a real capture appliance, on SQLite and PostgreSQL:
 * the official on the call gets an AES-256 ZIP that opens with their password and holds the call as PCM; nobody else
 * does, whatever their role; weak passwords and missing reasons change nothing; the export is audited with the
 * reason and never the password; deleted and expired recordings are refused in Korean; CSRF is required. The page
 * form does the same for browsers.
 */
import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { g711ToPcm16le } from '../../capture/g711';
import { readWav } from '../../capture/wav';
import { AuditEvent, Recording } from '../../infra/db/entities';
import { type RoleId } from '../../domain/roles';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { auditOf, loggedIn, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';

const PASSWORD = 'Quiet-Harbor-2026';
const REASON = '민원 처리 경위를 확인하려고 업무용 PC에 보관합니다';
const NOT_PARTIES: readonly RoleId[] = ['chief', 'deputy', 'operator', 'dept_head', 'auditor', 'records'];

/** The one WAV in a ZIP, opened with `password` (zip.js verifies the AES authentication code). */
async function openZip(zip: Uint8Array, password: string): Promise<{ name: string; encrypted: boolean; wav: Buffer }> {
  const reader = new ZipReader(new Uint8ArrayReader(zip), { password, useWebWorkers: false });
  try {
    const entries = await reader.getEntries();
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    if (entry.directory) throw new Error('a folder in the export');
    return { name: entry.filename, encrypted: entry.encrypted, wav: Buffer.from(await entry.getData(new Uint8ArrayWriter())) };
  } finally {
    await reader.close();
  }
}

for (const driver of availableDrivers()) {
  describe(`party export through the API (${driver})`, () => {
    let database: TestDatabase;
    let orm: MikroORM;
    let calls: SeededCalls;
    let capture: TestAppliance;
    let api: TestApi;
    let staff: TestClient;
    let staffCall: Recording;
    let headCall: Recording;

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      orm = database.orm;
      calls = await seedCalls(orm);
      capture = await startTestAppliance(orm);
      staffCall = await capture.record({ callId: `api-export-staff-${driver}`, extension: calls.staffExtension.number });
      headCall = await capture.record({ callId: `api-export-head-${driver}`, extension: calls.headExtension.number, codec: 'PCMA', durationMs: 600 });
      api = await startTestApi(orm, { capture: capture.clients.api });
      staff = await loggedIn(api.url, 'staff');
    });
    afterAll(async () => {
      await api?.close();
      await capture?.close();
      await database?.dispose();
    });

    const exportsAudited = () => orm.em.fork().count(AuditEvent, { action: 'recording.exported_by_party' });
    /** Control API requests the appliance has answered, not counting this look. */
    const applianceRequests = async () => ((await capture.clients.api.health()).control as { requests: number }).requests;
    const exportOf = (client: TestClient, id: string, json: unknown, options: { csrf?: boolean; headers?: Record<string, string> } = {}) =>
      client.request('POST', `/api/recordings/${id}/export`, { json, ...options });

    test('the official on the call gets an AES-256 ZIP of the call as 16-bit PCM, audited with the reason', async () => {
      const response = await exportOf(staff, staffCall.id, { password: PASSWORD, reason: REASON });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/zip');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const disposition = response.headers.get('content-disposition') ?? '';
      expect(disposition).toMatch(/^attachment; filename="recording_\d{8}-\d{6}_02-2680-1234\.zip"$/);
      const zip = new Uint8Array(await response.arrayBuffer());

      const opened = await openZip(zip, PASSWORD);
      expect(opened.encrypted).toBe(true);
      expect(`${opened.name.replace(/\.wav$/, '')}.zip`).toBe(/filename="(.+)"/.exec(disposition)![1]);
      const stored = await (await capture.appliance.store.openRecording(staffCall.storageKey!, staffCall.wrappedKey!)).readWav();
      const g711 = readWav(stored);
      const pcm = readWav(opened.wav);
      expect(pcm).toMatchObject({ encoding: 'PCM16', channels: 2, sampleRate: 8000, sampleFrames: g711.sampleFrames });
      const decoded = g711ToPcm16le('PCMU', stored.subarray(g711.dataOffset));
      expect(opened.wav.subarray(pcm.dataOffset).equals(decoded)).toBe(true);
      await expect(openZip(zip, 'Wrong-Password-1')).rejects.toThrow();

      const audit = await auditOf(orm, response.headers.get('x-request-id')!);
      expect(audit).toMatchObject({
        action: 'recording.exported_by_party',
        actor: 'jung.staff',
        role: 'staff',
        targetType: 'recording',
        targetId: staffCall.id,
        reason: REASON,
      });
      expect(JSON.parse(audit.detail)).toMatchObject({ zipSha256: createHash('sha256').update(zip).digest('hex'), audioSha256: staffCall.sha256 });
      expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    });

    test('a party of any role exports their own call: the head of a department, on their extension', async () => {
      const head = await loggedIn(api.url, 'dept_head');
      const response = await exportOf(head, headCall.id, { password: PASSWORD, reason: REASON });
      expect(response.status).toBe(200);
      expect((await openZip(new Uint8Array(await response.arrayBuffer()), PASSWORD)).name).toMatch(/_02-2680-1200\.wav$/);
    });

    test.each(NOT_PARTIES)('%s, not on the call, is refused NOT_PARTY by the API and the page, and nothing is exported', async (role) => {
      const client = await loggedIn(api.url, role);
      const [exported, requests] = [await exportsAudited(), await applianceRequests()];
      const refused = await client.json('POST', `/api/recordings/${staffCall.id}/export`, { json: { password: PASSWORD, reason: REASON } });
      expect(refused).toMatchObject({ status: 403, body: { code: 'NOT_PARTY' } });
      expect(await auditOf(orm, refused.body.requestId as string)).toMatchObject({ action: 'request.refused', reason: expect.stringContaining('NOT_PARTY') });
      const page = await client.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { _csrf: client.csrfToken!, password: PASSWORD, passwordConfirm: PASSWORD, reason: REASON },
      });
      expect(page.status).toBe(403);
      expect(await page.text()).toContain('NOT_PARTY');
      // The detail page shows them no export form.
      const detail = await client.request('GET', `/recordings/${staffCall.id}`);
      if (detail.status === 200) expect(await detail.text()).not.toContain('/export');
      expect(await exportsAudited()).toBe(exported);
      expect(await applianceRequests()).toBe(requests + 1);
    });

    test('weak passwords and missing reasons get 400, reach no appliance and leave no export or password behind', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ password: 'Short-1', reason: REASON }, 'WEAK_PASSWORD'],
        [{ password: 'onlylowercaseand123', reason: REASON }, 'WEAK_PASSWORD'],
        [{ password: 'Jung.Staff-2026', reason: REASON }, 'WEAK_PASSWORD'],
        [{ password: '비밀번호-Strong-2026', reason: REASON }, 'INVALID_INPUT'],
        [{ password: PASSWORD }, 'INVALID_INPUT'],
        [{ password: PASSWORD, reason: '   ' }, 'INVALID_INPUT'],
        [{ password: PASSWORD, reason: '가'.repeat(501) }, 'INVALID_INPUT'],
        [{ reason: REASON }, 'INVALID_INPUT'],
        [{ password: PASSWORD, reason: REASON, extra: true }, 'INVALID_INPUT'],
      ];
      const [exported, requests] = [await exportsAudited(), await applianceRequests()];
      for (const [body, code] of cases) {
        const refused = await staff.json('POST', `/api/recordings/${staffCall.id}/export`, { json: body });
        expect({ body, status: refused.status, code: refused.body.code }).toEqual({ body, status: 400, code });
        expect(refused.body.message).toMatch(/[가-힣]/);
      }
      expect(await exportsAudited()).toBe(exported);
      expect(await applianceRequests()).toBe(requests + 1);
      const audit = await orm.em.fork().find(AuditEvent, {});
      for (const [body] of cases) {
        if (typeof body.password === 'string') expect(JSON.stringify(audit)).not.toContain(body.password);
      }
    });

    test('deleted and expired recordings are refused in Korean', async () => {
      const deleted = await staff.json('POST', `/api/recordings/${calls.deletedCall.id}/export`, { json: { password: PASSWORD, reason: REASON } });
      expect(deleted).toMatchObject({ status: 410, body: { code: 'RECORDING_DELETED', message: expect.stringContaining('삭제된 녹취') } });

      // Past its retention date but not deleted yet (a hold, or deletion not run yet): the party's time is over.
      const expiring = await capture.record({ callId: `api-export-expiring-${driver}`, extension: calls.staffExtension.number, durationMs: 400 });
      const em = orm.em.fork();
      const row = await em.findOneOrFail(Recording, expiring.id);
      row.retentionDueAt = new Date(Date.now() - 1000);
      await em.flush();
      const expired = await staff.json('POST', `/api/recordings/${expiring.id}/export`, { json: { password: PASSWORD, reason: REASON } });
      expect(expired).toMatchObject({ status: 410, body: { code: 'RETENTION_ENDED', message: expect.stringContaining('보존기간') } });

      // The file destroyed by the retention activity, the row not marked yet: the appliance says it is gone.
      await capture.clients.worker.destroyRecording(expiring.id);
      row.retentionDueAt = new Date(Date.now() + 86_400_000);
      await em.flush();
      const gone = await staff.json('POST', `/api/recordings/${expiring.id}/export`, { json: { password: PASSWORD, reason: REASON } });
      expect(gone).toMatchObject({ status: 410, body: { code: 'RECORDING_DELETED' } });
    });

    test('CSRF is required, by header for the API and by form field for the page', async () => {
      const exported = await exportsAudited();
      for (const options of [{ csrf: false }, { headers: { 'x-csrf-token': 'forged' } }]) {
        const refused = await exportOf(staff, staffCall.id, { password: PASSWORD, reason: REASON }, options);
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
      }
      const page = await staff.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { password: PASSWORD, passwordConfirm: PASSWORD, reason: REASON },
        csrf: false,
      });
      expect(page.status).toBe(403);
      expect(await exportsAudited()).toBe(exported);
    });

    test('the page: the party sees the form, a mistake comes back on it in Korean, a good request downloads the ZIP', async () => {
      const detail = await (await staff.request('GET', `/recordings/${staffCall.id}`)).text();
      expect(detail).toContain(`action="/recordings/${staffCall.id}/export"`);
      expect(detail).toContain('본인 녹취 내보내기');

      const exported = await exportsAudited();
      const mismatch = await staff.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { _csrf: staff.csrfToken!, password: PASSWORD, passwordConfirm: `${PASSWORD}x`, reason: '<b>회의 자료</b>' },
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await mismatch.text();
      expect(page).toContain('두 번 입력한 비밀번호가 서로 다릅니다');
      expect(page).toContain('&#60;b&#62;회의 자료&#60;/b&#62;');
      expect(page).not.toContain(PASSWORD);
      const weak = await staff.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { _csrf: staff.csrfToken!, password: 'password', passwordConfirm: 'password', reason: REASON },
      });
      expect(weak.status).toBe(400);
      expect(await weak.text()).toContain('10자 이상');
      const noReason = await staff.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { _csrf: staff.csrfToken!, password: PASSWORD, passwordConfirm: PASSWORD, reason: '' },
      });
      expect(noReason.status).toBe(400);
      expect(await noReason.text()).toContain('사유');
      expect(await exportsAudited()).toBe(exported);

      const download = await staff.request('POST', `/recordings/${staffCall.id}/export`, {
        form: { _csrf: staff.csrfToken!, password: PASSWORD, passwordConfirm: PASSWORD, reason: REASON },
      });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/zip');
      expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="recording_.+\.zip"$/);
      expect((await openZip(new Uint8Array(await download.arrayBuffer()), PASSWORD)).encrypted).toBe(true);
      expect(await exportsAudited()).toBe(exported + 1);

      const deletedPage = await (await staff.request('GET', `/recordings/${calls.deletedCall.id}`)).text();
      expect(deletedPage).toContain('내보낼 수 없습니다');
      expect(deletedPage).not.toContain('/export"');
    });

    test('with the appliance unreachable the export fails clearly and is not audited as done', async () => {
      const detached = await startTestApi(orm);
      try {
        const client = await loggedIn(detached.url, 'staff');
        const exported = await exportsAudited();
        const failed = await client.json('POST', `/api/recordings/${staffCall.id}/export`, { json: { password: PASSWORD, reason: REASON } });
        expect(failed).toMatchObject({ status: 503, body: { code: 'CAPTURE_UNAVAILABLE', message: expect.stringContaining('녹취 장치') } });
        expect(await exportsAudited()).toBe(exported);
      } finally {
        await detached.close();
      }
    });
  });
}
