/**
 * 처리 경위 (issue 9): a provision case taken through the real API — Form 1, the call confirmed, 결재 by the three
 * roles (a chief out of turn refused first), the signed Form 2, the package — then read back as the auditors' timeline:
 * every step in order with who and when, from the audit log and from the workflow's own history (the sign-offs with the
 * user each signal carried), the documents and the package with their SHA-256, what was released, reads by others and
 * refusals; each of the case's audit entries verified. An auditor reads it, an official is refused; the page prints on
 * A4 with its header; the XLSX opens in exceljs and LibreOffice; every view and export is itself audited. Closed and
 * archived, the same timeline is built from the sealed archive without Temporal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { partyProvisionForm1, requestDetailWhen } from '../support/disclosure';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { RequestDetail, RequestView } from '../../api/disclosure-schemas';
import { readCaseTimeline } from '../../api/timeline';
import { type CaseTimeline, type TimelineItem } from '../../api/timeline-schemas';
import { AuditEvent, GeneratedDocument, type Recording } from '../../infra/db/entities';
import { PROJECT_ROOT } from '../../infra/paths';
import { disclosureWorkflowId } from '../../workflows/disclosure';
import { historyArchiveWorkflow } from '../../workflows/history-archive';
import { holdDecision } from '../support/holds';
import { loggedIn, SAMPLE_FILES, type TestClient } from '../support/api';
import { availableDrivers } from '../support/databases';
import { convertToPdf, pdfText } from '../support/libreoffice';
import { clockHoldingClient } from '../support/temporal';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

describe.each(availableDrivers())('a case timeline for auditors (%s)', (driver) => {
  let stack: WorkflowStack;
  let operator: TestClient;
  let call: Recording;
  let scratch: string;
  let caseId: string;
  let managementNumber: string;
  let packageSha256: string;

  beforeAll(async () => {
    stack = await startWorkflowStack(driver);
    operator = await loggedIn(stack.api.url, 'operator');
    call = await stack.capture.record({ callId: `timeline-${driver}`, extension: stack.calls.staffExtension.number });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'timeline-api-'));
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const em = () => stack.database.orm.em.fork();
  const detailWhen = (id: string, check: (found: RequestDetail) => boolean) => requestDetailWhen(operator, id, check);
  const attach = async (id: string, purpose: string) => {
    const response = await operator.json<{ id: string }[]>('POST', `/api/disclosure-requests/${id}/attachments`, {
      multipart: { fields: { purpose }, files: [{ field: 'files', name: `${purpose}.pdf`, type: 'application/pdf', content: SAMPLE_FILES.pdf }] },
    });
    expect(response.status).toBe(201);
    return response.body.at(-1)!.id;
  };
  const timelinePath = (id: string) => `/api/cases/disclosure_request/${id}/timeline`;
  const first = (items: TimelineItem[], check: (item: TimelineItem) => boolean) => {
    const index = items.findIndex(check);
    if (index < 0) throw new Error(`no such step in ${JSON.stringify(items.map((item) => `${item.event} ${item.actor}`))}`);
    return index;
  };

  test('every step in order with who and when, documents and the package with their SHA-256, sign-offs from the history, reads and refusals', async () => {
    const registered = await operator.json<RequestView>('POST', '/api/disclosure-requests', {
      json: partyProvisionForm1(stack.calls.staffExtension.number),
    });
    expect(registered.status).toBe(201);
    caseId = registered.body.id;
    managementNumber = registered.body.managementNumber;
    await operator.json('POST', `/api/disclosure-requests/${caseId}/recordings`, { json: { recordingIds: [call.id] } });
    await detailWhen(caseId, (found) => found.recordings.length === 1);
    await operator.json('POST', `/api/disclosure-requests/${caseId}/submit`);
    await detailWhen(caseId, (found) => found.workflow?.awaiting === 'operator');
    const chief = await loggedIn(stack.api.url, 'chief');
    expect((await chief.json('POST', `/api/disclosure-requests/${caseId}/sign-off`, { json: { decision: 'approve' } })).status).toBe(409);
    for (const role of ['operator', 'deputy', 'chief'] as const) {
      await detailWhen(caseId, (found) => found.workflow?.awaiting === role);
      const signer = role === 'operator' ? operator : role === 'chief' ? chief : await loggedIn(stack.api.url, role);
      expect(
        (await signer.json('POST', `/api/disclosure-requests/${caseId}/sign-off`, { json: { decision: 'approve', comment: `${role} 확인함` } })).status,
      ).toBe(202);
    }
    await detailWhen(caseId, (found) => found.documents.some((document) => document.kind === 'form2-handover-receipt'));
    const signedForm2 = await attach(caseId, 'signed_handover_receipt');
    expect(
      (
        await operator.json('POST', `/api/disclosure-requests/${caseId}/handover`, {
          json: { signatureKind: 'paper_scan', attachmentId: signedForm2, recipientName: '홍길동', receivedAt: new Date().toISOString() },
        })
      ).status,
    ).toBe(202);
    await detailWhen(caseId, (found) => found.workflow?.destructionReport !== null && found.workflow?.destructionReport !== undefined);
    const built = await operator.json<{ packageSha256: string }>('POST', `/api/disclosure-requests/${caseId}/package`);
    expect(built.status).toBe(201);
    packageSha256 = built.body.packageSha256;
    await detailWhen(caseId, (found) => found.status === 'awaiting_destruction_report');
    // A hold decided on the case's recording outside the case shows on the case too: the evidence's keeping.
    const held = await chief.json('POST', `/api/recordings/${call.id}/holds`, holdDecision({ reason: '수사 협조' }));
    expect(held.status).toBe(201);
    // Someone else looks at the case: the auditors need to see who looked at what.
    const deputy = await loggedIn(stack.api.url, 'deputy');
    expect((await deputy.json('GET', `/api/disclosure-requests/${caseId}`)).status).toBe(200);

    // An official may not read it (nor the page, nor the file), and each refusal lands in the case's timeline.
    const staff = await loggedIn(stack.api.url, 'staff');
    expect((await staff.json('GET', timelinePath(caseId))).status).toBe(403);
    expect((await staff.request('GET', `/cases/disclosure_request/${caseId}/timeline`)).status).toBe(403);
    expect((await staff.request('GET', `/cases/disclosure_request/${caseId}/timeline.xlsx`)).status).toBe(403);
    expect((await (await loggedIn(stack.api.url, 'records')).json('GET', timelinePath(caseId))).status).toBe(403);

    const auditor = await loggedIn(stack.api.url, 'auditor');
    const answer = await auditor.json<CaseTimeline>('GET', timelinePath(caseId));
    expect(answer.status).toBe(200);
    const timeline = answer.body;
    const { items } = timeline;
    expect(timeline).toMatchObject({ caseType: 'disclosure_request', caseId, caseNumber: managementNumber, status: 'awaiting_destruction_report' });
    expect(items.map((item) => Date.parse(item.at))).toEqual(items.map((item) => Date.parse(item.at)).sort((a, b) => a - b));

    // The audit log's steps, in the order they happened, each with its actor.
    const audit = (action: string, actor?: string) =>
      first(items, (item) => item.source === 'audit' && item.event === action && (!actor || item.actor === actor));
    const order = [
      audit('disclosure.registered', 'lee.operator'),
      audit('disclosure.recordings_confirmed'),
      audit('disclosure.submitted', 'lee.operator'),
      audit('disclosure.signed_off', 'lee.operator'),
      audit('disclosure.signed_off', 'park.deputy'),
      audit('disclosure.approved', 'choi.chief'),
      audit('disclosure.handover_signed'),
      audit('disclosure.package_built', 'lee.operator'),
      audit('disclosure.read', 'park.deputy'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(items[audit('recording.hold_set', 'choi.chief')]).toMatchObject({ label: '보존 중지 결정', reason: '수사 협조' });
    const registeredItem = items[order[0]!]!;
    expect(registeredItem).toMatchObject({ label: '신청서 접수', role: 'operator', sourceAddress: expect.stringContaining('127.0.0.1') });
    expect(Math.abs(Date.parse(registeredItem.at) - Date.parse(registered.body.receivedAt))).toBeLessThan(60_000);
    expect(items[order[8]!]).toMatchObject({ label: '신청 조회', actor: 'park.deputy', role: 'deputy', sourceAddress: expect.stringContaining('127.0.0.1') });
    // The chief's sign-off out of turn and the officials' attempts at the timeline are there as refusals.
    expect(items.find((item) => item.event === 'request.refused' && item.actor === 'choi.chief')).toMatchObject({
      label: `거부된 요청: POST /api/disclosure-requests/${caseId}/sign-off`,
      reason: expect.stringContaining('ACTION_REFUSED'),
    });
    expect(items.filter((item) => item.event === 'request.refused' && item.actor === 'jung.staff').map((item) => item.label)).toEqual([
      `거부된 요청: GET ${timelinePath(caseId)}`,
      `거부된 요청: GET /cases/disclosure_request/${caseId}/timeline`,
      `거부된 요청: GET /cases/disclosure_request/${caseId}/timeline.xlsx`,
    ]);

    // The workflow's own history: the sign-offs as Updates, each with the user it carried and the role it was taken as.
    const signOffs = items.filter((item) => item.source === 'workflow' && item.event === 'update:disclosureSignOff');
    expect(signOffs.map((item) => [item.actor, item.role, item.reason, item.note])).toEqual([
      ['lee.operator', 'operator', 'operator 확인함', '결정: 승인'],
      ['park.deputy', 'deputy', 'deputy 확인함', '결정: 승인'],
      ['choi.chief', 'chief', 'chief 확인함', '결정: 승인'],
    ]);
    expect(signOffs[0]!.workflowId).toBe(disclosureWorkflowId(caseId));
    const confirmed = items.find((item) => item.event === 'update:disclosureConfirmRecordings')!;
    expect(confirmed).toMatchObject({ actor: 'lee.operator', refs: [{ kind: 'recording', id: call.id, sha256: call.sha256, name: null }] });
    expect(call.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first(items, (item) => item.event === 'workflow:started')).toBeLessThan(first(items, (item) => item === confirmed));
    expect(items.some((item) => item.event === 'activity:prepareHandover' && item.label === '업무 처리 완료: 인수·인계증 작성')).toBe(true);
    expect(items.some((item) => item.event === 'child:deadlineRemindersWorkflow')).toBe(true);
    expect(timeline.workflows.map((workflow) => [workflow.workflowType, workflow.source])).toEqual([
      ['disclosureWorkflow', 'temporal'],
      ['deadlineRemindersWorkflow', 'temporal'],
    ]);

    // Documents with their SHA-256, on the list and on the step that made them; the package and what was released.
    const form2 = await em().findOneOrFail(GeneratedDocument, { caseType: 'disclosure_request', caseId, kind: 'form2-handover-receipt' });
    expect(timeline.documents).toEqual(expect.arrayContaining([expect.objectContaining({ id: form2.id, sha256: form2.sha256, purpose: form2.purpose })]));
    expect(items.find((item) => item.event === 'document.generated' && item.refs.some((ref) => ref.id === form2.id))!.refs).toEqual([
      { kind: 'document', id: form2.id, sha256: form2.sha256, name: form2.purpose },
    ]);
    expect(timeline.attachments.map((file) => file.id)).toContain(signedForm2);
    expect(items.find((item) => item.event === 'disclosure.package_built')).toMatchObject({
      released: 'package_built',
      refs: expect.arrayContaining([{ kind: 'package', id: null, sha256: packageSha256, name: null }]),
    });
    expect(items.find((item) => item.event === 'update:disclosurePackageProvided')).toMatchObject({
      actor: 'lee.operator',
      released: 'package_provided',
      refs: [{ kind: 'package', id: null, sha256: packageSha256, name: null }],
    });
    expect(items.find((item) => item.event === 'update:disclosureHandoverSigned')).toMatchObject({
      actor: 'lee.operator',
      released: 'handover_signed',
      refs: [expect.objectContaining({ kind: 'attachment', id: signedForm2 })],
    });

    // Each of the case's audit entries verifies, and the line on top says so.
    expect(timeline.chain).toMatchObject({ ok: true, problems: [], entries: items.filter((item) => item.source === 'audit').length });
    expect(timeline.chain.summary).toContain('검증됨');
    // Reading it was audited, with who and from where.
    const reads = await em().find(AuditEvent, { action: 'timeline.read', targetId: caseId });
    expect(reads.map((entry) => [entry.actor, entry.role, entry.targetType])).toEqual([['han.auditor', 'auditor', 'disclosure_request']]);
    expect(JSON.parse(reads[0]!.detail)).toMatchObject({ format: 'json', chainOk: true, items: items.length });

    // The page: Korean, the chain line on top, a print header with the case number, the A4 stylesheet.
    const pageResponse = await auditor.request('GET', `/cases/disclosure_request/${caseId}/timeline`);
    expect(pageResponse.status).toBe(200);
    const page = await pageResponse.text();
    expect(page).toContain(`<h1>처리 경위 — 녹취정보 제공 신청 ${managementNumber}</h1>`);
    expect(page).toContain('감사 기록 검증</strong> — 감사 기록');
    expect(page).toMatch(new RegExp(`class="print-header"><th colspan="7">광명시 행정전화 녹취시스템 — 처리 경위 ${managementNumber} · 출력 \\d{4}\\. `));
    expect(page).toContain('<link rel="stylesheet" href="/assets/timeline.css">');
    expect(page).toContain(packageSha256);
    expect(page).toContain('<strong>제공 파일 작성</strong>');
    expect(page).toContain('park.deputy, 부책임자 (팀장)');
    expect(page).not.toContain('<audio');
    const css = readFileSync(path.join(PROJECT_ROOT, 'api', 'public', 'timeline.css'), 'utf8');
    expect(css).toMatch(/@page \{\s*size: A4 landscape;/);
    expect(css).toContain('counter(pages)');
    expect(await em().count(AuditEvent, { action: 'timeline.read', targetId: caseId })).toBe(2);

    // The file: exceljs reads it back; LibreOffice opens it and prints the case number, a hash and page numbers.
    const download = await auditor.request('GET', `/cases/disclosure_request/${caseId}/timeline.xlsx`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    const xlsx = Buffer.from(await download.arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['처리 경위', '생성 문서', '첨부파일']);
    const sheet = workbook.getWorksheet('처리 경위')!;
    expect(sheet.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape', printTitlesRow: '5:5' });
    expect(sheet.headerFooter.oddHeader).toContain(managementNumber);
    const cells = sheet.getSheetValues().flat().map(String);
    expect(cells.some((cell) => cell.includes(packageSha256))).toBe(true);
    expect(cells).toContain('결재 받음');
    expect(workbook.getWorksheet('생성 문서')!.getSheetValues().flat().map(String)).toContain(form2.sha256);
    const file = path.join(scratch, 'timeline.xlsx');
    writeFileSync(file, xlsx);
    const text = await pdfText(await convertToPdf(file));
    expect(text).toContain(managementNumber);
    expect(text).toContain('신청서 접수');
    expect(text).toMatch(/1 ?\/ ?\d+ ?쪽/);
    expect(
      (await em().find(AuditEvent, { action: 'timeline.exported', targetId: caseId })).map((entry) => [
        entry.actor,
        (JSON.parse(entry.detail) as { format: string }).format,
      ]),
    ).toEqual([['han.auditor', 'xlsx']]);
  }, 180_000);

  test('closed and archived, the timeline comes from the sealed archive with the same sign-offs', async () => {
    const returned = await attach(caseId, 'destruction_report');
    expect(
      (
        await operator.json('POST', `/api/disclosure-requests/${caseId}/destruction-report`, {
          json: { attachmentId: returned, destroyedAt: new Date().toISOString(), method: 'delete_overwrite', allCopiesDestroyed: true },
        })
      ).status,
    ).toBe(202);
    await detailWhen(caseId, (found) => found.status === 'closed');
    const client = clockHoldingClient(stack.env);
    await client.workflow.getHandle(disclosureWorkflowId(caseId)).result();
    const sweep = await client.workflow.execute(historyArchiveWorkflow, { taskQueue: stack.taskQueue, workflowId: `timeline-archive-${driver}` });
    expect(sweep.failed).toEqual([]);

    // As an API without Temporal (or after the server's retention) reads it: the archive alone.
    const archived = await readCaseTimeline(em(), { documents: stack.api.documents, timeZone: 'Asia/Seoul' }, 'disclosure_request', caseId);
    expect(archived.workflows.map((workflow) => [workflow.workflowType, workflow.source, workflow.archiveSha256])).toEqual(
      expect.arrayContaining([
        ['disclosureWorkflow', 'archive', expect.stringMatching(/^[0-9a-f]{64}$/)],
        ['deadlineRemindersWorkflow', 'archive', expect.stringMatching(/^[0-9a-f]{64}$/)],
      ]),
    );
    expect(archived.workflowProblems).toEqual(['이 서버는 업무 흐름 서버(Temporal)에 연결되어 있지 않아 보관된 이력만 씁니다.']);
    const signOffs = archived.items.filter((item) => item.event === 'update:disclosureSignOff').map((item) => item.actor);
    expect(signOffs).toEqual(['lee.operator', 'park.deputy', 'choi.chief']);
    expect(archived.items.some((item) => item.event === 'update:disclosureDestructionReported' && item.actor === 'lee.operator')).toBe(true);
    expect(archived.items.some((item) => item.event === 'workflow:completed' && item.note === '최종 상태: closed')).toBe(true);
    expect(
      archived.items
        .filter((item) => item.event === 'workflow.history_archived')
        .flatMap((item) => item.refs.map((ref) => ref.sha256))
        .sort(),
    ).toEqual(archived.workflows.map((workflow) => workflow.archiveSha256).sort());
    expect(archived.chain.ok).toBe(true);
  }, 120_000);
});
