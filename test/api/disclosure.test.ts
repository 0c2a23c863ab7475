/**
 * 녹취정보 제공 (Art. 9) end to end through the real API with real logins, the workflow on the time-skipping Temporal
 * server and a real capture appliance: the operator registers Form 1 (bad input refused in Korean, nothing written),
 * finds and confirms the recorded call (put on hold), the chain signs off in turn, the signed Form 2 is attached and
 * recorded (on paper for the provision, drawn on screen for the viewing), the package is built — it opens with 7z under the password shown once and verifies against the system's
 * public key — the ledger lists the case, and the returned Form 3 closes it and releases the hold.
 */
import { spawnSync } from 'node:child_process';
import { partyProvisionForm1, requestDetail, requestDetailWhen } from '../support/disclosure';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { RequestDetail, RequestView } from '../../api/disclosure-schemas';
import { ArchivedHistory, Attachment, AuditEvent, DisclosureRequest, LedgerEntry, RecordingHold, type Recording } from '../../infra/db/entities';
import { verifyPackage } from '../../capture/package-verify';
import { verifyGrant } from '../../infra/grants';
import { TEST_GRANT_KEYS } from '../support/grants';
import { decodeHistory, replayHistories } from '../../infra/temporal/history';
import { disclosureWorkflowId } from '../../workflows/disclosure';
import { historyArchiveWorkflow } from '../../workflows/history-archive';
import { loggedIn, SAMPLE_FILES, type TestClient } from '../support/api';
import { availableDrivers } from '../support/databases';
import { BLANK_PAD_PNG, dataUrl, SIGNATURE_PNG } from '../support/signature';
import { clockHoldingClient } from '../support/temporal';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { eventually } from '../support/eventually';

const pdf = (name: string) => ({ field: 'files', name, type: 'application/pdf', content: SAMPLE_FILES.pdf });

describe.each(availableDrivers())('a provision case through the API (%s)', (driver) => {
  let stack: WorkflowStack;
  let operator: TestClient;
  let call: Recording;
  let scratch: string;

  beforeAll(async () => {
    stack = await startWorkflowStack(driver);
    operator = await loggedIn(stack.api.url, 'operator');
    call = await stack.capture.record({ callId: `disclosure-${driver}`, extension: stack.calls.staffExtension.number });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'disclosure-api-'));
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const em = () => stack.database.orm.em.fork();
  const form1 = () => partyProvisionForm1(stack.calls.staffExtension.number);
  const detail = (id: string) => requestDetail(operator, id);
  const detailWhen = (id: string, check: (found: RequestDetail) => boolean) => requestDetailWhen(operator, id, check);
  const attach = async (id: string, purpose: string) => {
    const response = await operator.json<{ id: string; fileName: string }[]>('POST', `/api/disclosure-requests/${id}/attachments`, {
      multipart: { fields: { purpose }, files: [pdf(`${purpose}.pdf`)] },
    });
    expect(response.status).toBe(201);
    return response.body.at(-1)!.id;
  };
  /** The call confirmed, submitted and approved by the whole chain: the case waits for the signed Form 2. */
  const approve = async (id: string) => {
    await operator.json('POST', `/api/disclosure-requests/${id}/recordings`, { json: { recordingIds: [call.id] } });
    await detailWhen(id, (found) => found.recordings.length === 1);
    await operator.json('POST', `/api/disclosure-requests/${id}/submit`);
    for (const role of ['operator', 'deputy', 'chief'] as const) {
      await detailWhen(id, (found) => found.workflow?.awaiting === role);
      const signer = role === 'operator' ? operator : await loggedIn(stack.api.url, role);
      expect(await signer.json('POST', `/api/disclosure-requests/${id}/sign-off`, { json: { decision: 'approve', comment: '' } })).toMatchObject({
        status: 202,
      });
    }
    await detailWhen(id, (found) => found.status === 'awaiting_handover');
  };

  test('bad Form 1s are refused in Korean and write nothing; only the operator registers', async () => {
    const before = await em().count(DisclosureRequest, {});
    const attempts = await Promise.all([
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), kind: 'copy' } }),
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), applicantBirthDateOrBusinessNumber: '80년 1월' } }),
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), recordingTo: '2020-01-01T00:00:00+09:00' } }),
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), applicantEmail: 'not-an-address' } }),
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), receivedAt: '2099-01-01T00:00:00+09:00' } }),
      operator.json('POST', '/api/disclosure-requests', { json: { ...form1(), extra: 'field' } }),
    ]);
    for (const { status, body } of attempts) {
      expect(status).toBe(400);
      expect(body.code).toBe('INVALID_INPUT');
      expect(body.message).toMatch(/[가-힣]/);
    }
    const chief = await loggedIn(stack.api.url, 'chief');
    expect((await chief.json('POST', '/api/disclosure-requests', { json: form1() })).status).toBe(403);
    expect(await em().count(DisclosureRequest, {})).toBe(before);
  });

  test('Form 1 to closed: matched, held, signed off, handed over, package verified, ledger, Form 3 returned', async () => {
    const registered = await operator.json<RequestView>('POST', '/api/disclosure-requests', { json: form1() });
    expect(registered.status).toBe(201);
    const id = registered.body.id;
    expect(registered.body.managementNumber).toMatch(/^\d{4}-\d{4}$/);

    const matches = await operator.json<{ id: string; deletedAt: string | null }[]>('GET', `/api/disclosure-requests/${id}/matches`);
    expect(matches.body.map((match) => match.id)).toContain(call.id);
    expect((await operator.json('POST', `/api/disclosure-requests/${id}/recordings`, { json: { recordingIds: [call.id] } })).status).toBe(202);
    await detailWhen(id, (found) => found.recordings.length === 1);
    expect(await em().count(RecordingHold, { recording: call.id, disclosureRequestId: id, releasedAt: null })).toBe(1);

    expect((await operator.json('POST', `/api/disclosure-requests/${id}/submit`)).status).toBe(202);
    await detailWhen(id, (found) => found.workflow?.awaiting === 'operator');
    const chief = await loggedIn(stack.api.url, 'chief');
    const early = await chief.json('POST', `/api/disclosure-requests/${id}/sign-off`, { json: { decision: 'approve' } });
    expect(early).toMatchObject({ status: 409, body: { code: 'ACTION_REFUSED', message: expect.stringContaining('차례') } });
    for (const role of ['operator', 'deputy', 'chief'] as const) {
      await detailWhen(id, (found) => found.workflow?.awaiting === role);
      const signer = role === 'operator' ? operator : await loggedIn(stack.api.url, role);
      expect((await signer.json('POST', `/api/disclosure-requests/${id}/sign-off`, { json: { decision: 'approve', comment: `${role} 확인` } })).status).toBe(
        202,
      );
    }
    const approved = await detailWhen(id, (found) => found.documents.some((document) => document.kind === 'form2-handover-receipt'));
    expect(approved.status).toBe('awaiting_handover');
    // Nothing released before the signed Form 2: no package yet.
    expect((await operator.json('POST', `/api/disclosure-requests/${id}/package`)).body).toMatchObject({ code: 'ACTION_REFUSED' });
    const form2 = approved.documents.find((document) => document.kind === 'form2-handover-receipt')!;
    const form2File = await operator.request('GET', `/api/disclosure-requests/${id}/documents/${form2.id}`);
    expect(
      Buffer.from(await form2File.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');

    const signedForm2 = await attach(id, 'signed_handover_receipt');
    // A scan is kept and downloaded under the system's name; the name it came with is shown as text only.
    const managementNumber = registered.body.managementNumber;
    expect((await detail(id)).attachments.map(({ fileName, originalName }) => ({ fileName, originalName }))).toEqual([
      { fileName: `인수인계증_${managementNumber}_1.pdf`, originalName: 'signed_handover_receipt.pdf' },
    ]);
    expect(await (await operator.request('GET', `/disclosure/${id}`)).text()).toContain(
      `<a href="/api/disclosure-requests/${id}/attachments/${signedForm2}" download>인수인계증_${managementNumber}_1.pdf</a></td><td>signed_handover_receipt.pdf</td>`,
    );
    const scan = await operator.request('GET', `/api/disclosure-requests/${id}/attachments/${signedForm2}`);
    expect(scan.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="signed_handover_receipt_${managementNumber}_1\\.pdf"; filename\\*=UTF-8''`),
    );
    const handover = await operator.json('POST', `/api/disclosure-requests/${id}/handover`, {
      json: { signatureKind: 'paper_scan', attachmentId: signedForm2, recipientName: '홍길동', receivedAt: new Date().toISOString() },
    });
    expect(handover.status).toBe(202);
    const released = await detailWhen(id, (found) => found.workflow?.destructionReport !== null && found.workflow?.destructionReport !== undefined);
    expect(released.status).toBe('released');

    const built = await operator.json<{ password: string; packageSha256: string; download: string }>('POST', `/api/disclosure-requests/${id}/package`);
    expect(built.status).toBe(201);
    expect(built.body.password).toMatch(/^[A-Za-z0-9]{16}$/);
    const response = await operator.request('GET', built.body.download);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const zip = Buffer.from(await response.arrayBuffer());
    const verification = await verifyPackage(zip, built.body.password, stack.capture.packagePublicKeyPem);
    expect(verification).toMatchObject({ ok: true, signatureValid: true, problems: [] });
    expect(verification.manifest?.managementNumber).toBe(registered.body.managementNumber);
    // Brought back to be checked: the API verifies it against the appliance's key, and catches a changed copy.
    const key = await operator.json<{ pem: string; sha256: string }>('GET', '/api/disclosure-packages/public-key');
    expect(key.body.pem).toBe(stack.capture.packagePublicKeyPem);
    const checked = await operator.json<{ ok: boolean }>('POST', '/api/disclosure-packages/verify', {
      multipart: { fields: { password: built.body.password }, files: [{ field: 'package', name: 'package.zip', type: 'application/zip', content: zip }] },
    });
    expect(checked).toMatchObject({ status: 200, body: { ok: true } });
    const wrongPassword = await operator.json<{ ok: boolean; problems: { code: string }[] }>('POST', '/api/disclosure-packages/verify', {
      multipart: { fields: { password: 'wrong-password' }, files: [{ field: 'package', name: 'package.zip', type: 'application/zip', content: zip }] },
    });
    expect(wrongPassword.body).toMatchObject({ ok: false, problems: [expect.objectContaining({ code: 'WRONG_PASSWORD' })] });
    const file = path.join(scratch, 'package.zip');
    writeFileSync(file, zip);
    expect(spawnSync('7z', ['t', '-pwrong-password', file], { encoding: 'utf8' }).status).not.toBe(0);
    const listing = spawnSync('7z', ['l', '-slt', `-p${built.body.password}`, file], { encoding: 'utf8' }).stdout;
    expect(listing).toContain('AES-256');
    expect(listing).toMatch(/Path = recordings\/.+\.wav/);
    expect(listing).toContain(`파기결과회신서_${registered.body.managementNumber}.docx`);
    // The password was answered once: it is in no audit entry and no row.
    const audit: { n: number | string }[] = await em()
      .getConnection()
      .execute(`select count(*) as n from audit_event where detail like ?`, [`%${built.body.password}%`]);
    expect(Number(audit[0]?.n)).toBe(0);
    // Handed over by that download, the package is destroyed (Art. 8(1): its audio is on the clock too): its key is
    // shredded, its file gone, a second download refused with when and why, and the case says so.
    const destroyed = await eventually(async () => (await em().findOneOrFail(Attachment, { ownerId: id, purpose: 'provision_package' })).destroyedAt, {
      within: '10s',
      what: 'the package destroyed after its download',
    });
    const again = await operator.json('GET', built.body.download);
    expect(again).toMatchObject({ status: 410, body: { code: 'FILE_DESTROYED', message: expect.stringContaining('파기되어 더 내려받을 수 없습니다') } });
    const shredded = await em().findOneOrFail(Attachment, { ownerId: id, purpose: 'provision_package' }, { populate: ['wrappedKey'] });
    expect(shredded).toMatchObject({ wrappedKey: null, destructionReason: '인계(내려받기) 완료로 파기' });
    expect(existsSync(path.join(stack.api.documentsDir, 'documents', `${shredded.id}.sealed`))).toBe(false);
    expect(await em().count(AuditEvent, { action: 'attachment.destroyed', targetId: id })).toBe(1);
    const casePage = await (await operator.request('GET', `/disclosure/${id}`)).text();
    expect(casePage).toContain('다시 내려받을 수 없습니다');
    expect(destroyed).toBeInstanceOf(Date);
    // The scan download route does not hand out the package.
    const packageRow = (await detail(id)).attachments.find((attachment) => attachment.purpose === 'provision_package')!;
    // One package per case: its name needs no number.
    expect(packageRow.fileName).toBe(`녹취정보제공_${managementNumber}.zip`);
    expect((await operator.request('GET', `/api/disclosure-requests/${id}/attachments/${packageRow.id}`)).status).toBe(404);

    await detailWhen(id, (found) => found.status === 'awaiting_destruction_report');
    const ledger = await em().findOneOrFail(LedgerEntry, { request: id });
    expect(ledger.managementNumber).toBe(registered.body.managementNumber);
    const records = await loggedIn(stack.api.url, 'records');
    const xlsx = await records.request('GET', `/api/ledger?year=${registered.body.managementNumber.slice(0, 4)}`);
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
    const cells = workbook.worksheets.flatMap((sheet) => sheet.getSheetValues().flat().map(String));
    expect(cells).toContain(registered.body.managementNumber);

    const returned = await attach(id, 'destruction_report');
    const report = await operator.json('POST', `/api/disclosure-requests/${id}/destruction-report`, {
      json: { attachmentId: returned, destroyedAt: new Date().toISOString(), method: 'delete_overwrite', allCopiesDestroyed: true },
    });
    expect(report.status).toBe(202);
    const closed = await detailWhen(id, (found) => found.status === 'closed');
    expect(closed.history.map((step) => step.action)).toEqual(
      expect.arrayContaining([
        'disclosure.registered',
        'disclosure.recordings_confirmed',
        'disclosure.submitted',
        'disclosure.approved',
        'disclosure.handover_signed',
        'disclosure.package_built',
        'disclosure.package_provided',
        'disclosure.destruction_reported',
      ]),
    );
    expect(await em().count(RecordingHold, { recording: call.id, disclosureRequestId: id, releasedAt: null })).toBe(0);

    // Closed, the case's history (and its Form 3 reminders') is archived sealed, its hash in the audit chain, and it
    // replays against the current workflow code.
    const client = clockHoldingClient(stack.env);
    await client.workflow.getHandle(disclosureWorkflowId(id)).result();
    const sweep = await client.workflow.execute(historyArchiveWorkflow, { taskQueue: stack.taskQueue, workflowId: `history-archive-${driver}` });
    expect(sweep.failed).toEqual([]);
    const archived = await em().find(
      ArchivedHistory,
      { caseType: 'disclosure_request', caseId: id },
      { populate: ['wrappedKey'], orderBy: { workflowType: 'asc' } },
    );
    expect(archived.map((row) => row.workflowType)).toEqual(['deadlineRemindersWorkflow', 'disclosureWorkflow']);
    const entries = await em().find(AuditEvent, { action: 'workflow.history_archived', targetId: id });
    expect(entries.map((entry) => (JSON.parse(entry.detail) as { sha256: string }).sha256).sort()).toEqual(archived.map((row) => row.sha256).sort());
    const histories = archived.map((row) => {
      const json = stack.api.documents.get(row.id, row.wrappedKey);
      expect(createHash('sha256').update(json).digest('hex')).toBe(row.sha256);
      return { name: row.workflowId, workflowId: row.workflowId, history: decodeHistory(json) };
    });
    expect((await replayHistories(histories)).map((outcome) => outcome.ok)).toEqual([true, true]);
    // Archived once: the next sweep finds nothing more for this case.
    await client.workflow.execute(historyArchiveWorkflow, { taskQueue: stack.taskQueue, workflowId: `history-archive-${driver}-2` });
    expect(await em().count(ArchivedHistory, { caseId: id })).toBe(2);
  }, 120_000);

  test('a party official files their own request, for their own extension only; the operator then works it', async () => {
    const staff = await loggedIn(stack.api.url, 'staff');
    const head = await loggedIn(stack.api.url, 'dept_head');
    const own = {
      kind: 'viewing',
      applicantBirthDate: '1985-03-01',
      applicantContact: '010-2222-3333',
      applicantEmail: null,
      recordingFrom: new Date(Date.now() - 3_600_000).toISOString(),
      recordingTo: new Date(Date.now() + 60_000).toISOString(),
      extension: stack.calls.staffExtension.number,
      purpose: '민원 응대 내용 확인',
      reason: '민원인과 통화한 내용을 확인하려 합니다.',
    };
    const before = await em().count(DisclosureRequest);
    // Another official's extension is refused, and no management number is used up.
    const refused = await staff.json<{ code: string; message: string }>('POST', '/api/my/disclosure-requests', {
      json: { ...own, extension: stack.calls.itExtension.number },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('NOT_PARTY');
    expect(refused.body.message).toContain('본인이 쓰는 내선이 아닙니다');
    expect((await head.json('POST', '/api/my/disclosure-requests', { json: own })).body).toMatchObject({ code: 'NOT_PARTY' });
    expect(await em().count(DisclosureRequest)).toBe(before);

    const filed = await staff.json<RequestView>('POST', '/api/my/disclosure-requests', { json: own });
    expect(filed.status).toBe(201);
    const row = await em().findOneOrFail(DisclosureRequest, filed.body.id);
    expect(row).toMatchObject({
      applicantName: '정주무관',
      applicantAddress: '광명시청 복지정책과',
      applicantUsername: 'jung.staff',
      registeredBy: 'jung.staff',
      ground: 'party',
      requestedPhoneNumber: stack.calls.staffExtension.number,
      relationToParty: '통화 당사자 본인 (내선 사용 직원)',
    });
    expect(row.groundDetail).toContain('통합 로그인(jung.staff)으로 본인 확인');
    // Only the official sees it among their own; the department head has none; the operator sees it among all.
    expect((await staff.json<RequestView[]>('GET', '/api/my/disclosure-requests')).body.map((item) => item.id)).toEqual([filed.body.id]);
    expect((await head.json<RequestView[]>('GET', '/api/my/disclosure-requests')).body).toEqual([]);
    expect((await operator.json<RequestView[]>('GET', '/api/disclosure-requests')).body.map((item) => item.id)).toContain(filed.body.id);
    // The operator finds the official's call and confirms it, as for any request.
    const matches = await operator.json<{ id: string }[]>('GET', `/api/disclosure-requests/${filed.body.id}/matches`);
    expect(matches.body.map((match) => match.id)).toContain(call.id);
    await operator.json('POST', `/api/disclosure-requests/${filed.body.id}/recordings`, { json: { recordingIds: [call.id] } });
    await detailWhen(filed.body.id, (found) => found.recordings.length === 1);

    // The page: the official's own extensions only; a mistake comes back in Korean with what was typed.
    const page = await (await staff.request('GET', '/my/disclosure')).text();
    expect(page).toContain(`<option value="${stack.calls.staffExtension.number}">`);
    expect(page).not.toContain(`<option value="${stack.calls.itExtension.number}">`);
    expect(page).toContain(row.managementNumber);
    const form = {
      kind: 'provision',
      applicantBirthDate: '1985',
      applicantContact: '010-2222-3333',
      applicantEmail: '',
      recordingFrom: '2026-11-27T13:00',
      recordingTo: '2026-11-27T15:00',
      extension: stack.calls.staffExtension.number,
      purpose: '증빙',
      reason: '통화 내용 확인이 필요합니다.',
    };
    const mistake = await staff.request('POST', '/my/disclosure', { form });
    expect(mistake.status).toBe(400);
    const mistakePage = await mistake.text();
    expect(mistakePage).toContain('생년월일을 1980-01-01 형식으로 적으십시오');
    expect(mistakePage).toContain('>통화 내용 확인이 필요합니다.</textarea>');
    const good = await staff.request('POST', '/my/disclosure', { form: { ...form, applicantBirthDate: '1985-03-01' } });
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toMatch(/^\/my\/disclosure\?filed=\d{4}-\d{4}$/);
    expect(await em().count(DisclosureRequest, { applicantUsername: 'jung.staff' })).toBe(2);
  }, 60_000);

  test('viewing: the approved call plays only once Form 2 is signed and only within the window, every play audited', async () => {
    const registered = await operator.json<RequestView>('POST', '/api/disclosure-requests', { json: { ...form1(), kind: 'viewing', applicantEmail: null } });
    const id = registered.body.id;
    const audio = () => operator.request('GET', `/api/disclosure-requests/${id}/recordings/${call.id}/audio`);
    await approve(id);
    expect((await audio()).status).toBe(409);
    // The recipient signs on screen. A blank pad is refused and leaves nothing behind.
    const onScreen = (png: Buffer) =>
      operator.json<{ code: string; message: string }>('POST', `/api/disclosure-requests/${id}/handover`, {
        json: { signatureKind: 'on_screen', signature: dataUrl(png), recipientName: '홍길동', receivedAt: new Date().toISOString() },
      });
    const blank = await onScreen(BLANK_PAD_PNG);
    expect(blank.status).toBe(400);
    expect(blank.body).toMatchObject({ code: 'INVALID_SIGNATURE', message: '서명란이 비어 있습니다. 인수자가 서명한 뒤 기록하십시오.' });
    expect(await em().count(Attachment, { ownerId: id })).toBe(0);
    expect((await onScreen(SIGNATURE_PNG)).status).toBe(202);
    const viewing = await detailWhen(id, (found) => found.workflow?.viewingUntil !== null && found.workflow?.viewingUntil !== undefined);
    // The signature is kept as the case's file, and placed on a signed Form 2 that joins the case's documents.
    expect(viewing.attachments).toEqual([
      expect.objectContaining({ purpose: 'recipient_signature', sha256: createHash('sha256').update(SIGNATURE_PNG).digest('hex') }),
    ]);
    const signedForm2 = viewing.documents.find((document) => document.purpose === '서명된 녹취정보 인수·인계증')!;
    const docx = await operator.request('GET', `/api/disclosure-requests/${id}/documents/${signedForm2.id}`);
    const zip = await JSZip.loadAsync(Buffer.from(await docx.arrayBuffer()));
    const media = Object.values(zip.files).filter((file) => file.name.startsWith('word/media/') && !file.dir);
    expect(media).toHaveLength(1);
    expect((await media[0]!.async('nodebuffer')).equals(SIGNATURE_PNG)).toBe(true);
    const signedAudit = await em().findOneOrFail(AuditEvent, { action: 'disclosure.handover_signed', targetId: id });
    expect(JSON.parse(signedAudit.detail)).toMatchObject({
      signatureKind: 'on_screen',
      signedDocumentId: signedForm2.id,
      signatureSha256: viewing.attachments[0]!.sha256,
    });
    // The case page offers a player for each confirmed call, playing from this origin only.
    const casePage = await (await operator.request('GET', `/disclosure/${id}`)).text();
    expect(casePage).toContain(`<audio controls preload="none" controlslist="nodownload noplaybackrate"`);
    expect(casePage).toContain(`src="/api/disclosure-requests/${id}/recordings/${call.id}/audio"`);
    // The grant the API hands the appliance with the play (issue 18), kept to show what the appliance itself allows.
    const appliance = stack.capture.clients.api;
    const sent = jest.spyOn(appliance, 'viewingAudio');
    const played = await audio();
    expect(played.status).toBe(200);
    expect(played.headers.get('content-type')).toBe('audio/wav');
    expect(played.headers.get('cache-control')).toBe('no-store');
    expect(played.headers.get('content-disposition')).toBe('inline');
    const wav = Buffer.from(await played.arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    // Another recording, not on this request, is refused.
    expect((await operator.request('GET', `/api/disclosure-requests/${id}/recordings/${stack.calls.itCall.id}/audio`)).status).toBe(409);
    expect(await em().count(AuditEvent, { action: 'disclosure.recording_played', targetId: id })).toBe(1);
    // The appliance holds the API to the same case: the grant plays this case's call under its 관리번호, not another
    // case's call nor this call under another 관리번호, and ends with the window.
    expect(sent).toHaveBeenCalledTimes(1);
    const [, asked, grant] = sent.mock.calls[0]!;
    sent.mockRestore();
    const released = await em().findOneOrFail(AuditEvent, { action: 'recording.viewing_audio_released', targetId: call.id }, { orderBy: { seq: 'desc' } });
    expect(JSON.parse(released.detail)).toMatchObject({
      managementNumber: asked.managementNumber,
      grantSubject: 'lee.operator',
      grantCase: { type: 'disclosure-request', id, managementNumber: asked.managementNumber },
    });
    await expect(appliance.viewingAudio(stack.calls.itCall.id, asked, grant)).rejects.toMatchObject({ status: 403, code: 'GRANT_NOT_COVERING' });
    await expect(appliance.viewingAudio(call.id, { ...asked, managementNumber: '2025-0001' }, grant)).rejects.toMatchObject({
      status: 403,
      code: 'GRANT_NOT_COVERING',
    });
    expect(verifyGrant(TEST_GRANT_KEYS.publicKey, grant, new Date(viewing.workflow!.viewingUntil!))).toMatchObject({ refused: 'GRANT_EXPIRED' });
    // The window closes (server time): the case ends, and nothing more plays.
    await stack.env.sleep('3 hours');
    await detailWhen(id, (found) => found.status === 'closed');
    expect(await audio()).toMatchObject({ status: 409 });
    expect(await (await operator.request('GET', `/disclosure/${id}`)).text()).not.toContain('<audio');
  }, 120_000);

  test("a recipient without e-mail: the Form 3 reminder letter waits on the operator's dashboard to be printed and posted", async () => {
    const registered = await operator.json<RequestView>('POST', '/api/disclosure-requests', { json: { ...form1(), applicantEmail: null } });
    const id = registered.body.id;
    await approve(id);
    await operator.json('POST', `/api/disclosure-requests/${id}/handover`, {
      json: { signatureKind: 'on_screen', signature: dataUrl(SIGNATURE_PNG), recipientName: '홍길동', receivedAt: new Date().toISOString() },
    });
    await detailWhen(id, (found) => found.workflow?.destructionReport !== null && found.workflow?.destructionReport !== undefined);
    // Seven days before the 30-day deadline the reminder goes out: by post, so it waits for the operator.
    await stack.env.sleep('25 days');
    type Letter = { id: string; subject: string; recipient: string; caseLink: string; enclosures: { purpose: string; link: string }[] };
    const letters = await eventually(
      async () => {
        const listed = (await operator.json<Letter[]>('GET', '/api/letters-to-post')).body.filter((letter) => letter.caseLink === `/disclosure/${id}`);
        return listed.length > 0 && listed;
      },
      { within: '15s', every: 100, what: 'a letter to post for the case' },
    );
    const [letter] = letters;
    expect(letter).toMatchObject({ subject: expect.stringContaining('기한이 7일 남았습니다'), recipient: '경기도 광명시 철산로 123' });
    expect(letter!.enclosures).toEqual([expect.objectContaining({ purpose: '파기 결과 회신 요청 공문' })]);
    const enclosure = await operator.request('GET', letter!.enclosures[0]!.link);
    expect(
      Buffer.from(await enclosure.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    // The dashboard lists it with the letter to print and the button that records it as posted.
    const dashboard = await (await operator.request('GET', '/')).text();
    expect(dashboard).toContain('우편 발송 대기');
    expect(dashboard).toContain(`action="/letters/${letter!.id}/posted"`);
    await expect((await (await loggedIn(stack.api.url, 'deputy')).request('GET', '/')).text()).resolves.not.toContain('우편 발송 대기');
    const posted = await operator.request('POST', `/letters/${letter!.id}/posted`, { form: {} });
    expect(posted.status).toBe(303);
    expect((await operator.json<Letter[]>('GET', '/api/letters-to-post')).body.map((item) => item.id)).not.toContain(letter!.id);
    expect(await em().count(AuditEvent, { action: 'notification.posted', targetId: id, actor: 'lee.operator' })).toBe(1);
    // Recorded once: again is refused, and changes nothing.
    expect(await operator.json('POST', `/api/letters-to-post/${letter!.id}/posted`)).toMatchObject({ status: 409, body: { code: 'ACTION_REFUSED' } });
    expect(await em().count(AuditEvent, { action: 'notification.posted', targetId: id })).toBe(1);
  }, 120_000);
});
