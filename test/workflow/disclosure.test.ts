/**
 * 녹취정보 열람·제공 (Art. 9, R8–R10) on the real time-skipping Temporal test server over a real database: every path
 * of a request — provision from Form 1 to the returned Form 3 (with a worker restart in the middle), a Form 3 returned
 * late after reminders, escalation and repeated reminders on the legal days (a deadline moved by 설날), viewing until
 * its window closes, rejection at each 결재 step, a ground missing, withdrawal, and recordings deleted before they
 * could be confirmed. Holds are set on confirmation and released whenever a case ends.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import {
  Attachment,
  AuditEvent,
  DestructionReport,
  DisclosureRequest,
  GeneratedDocument,
  HandoverReceipt,
  LedgerEntry,
  Notification,
  RecordingHold,
  SignOff,
} from '../../infra/db/entities';
import { takeManagementNumber } from '../../infra/db/management-number';
import { loadLegalCalendar } from '../../infra/holidays';
import { addDays, type LegalCalendar } from '../../domain/legal-period';
import { type DisclosureGround, type DisclosureKind } from '../../domain/disclosure';
import { type RoleId } from '../../domain/roles';
import {
  disclosureConfirmRecordings,
  disclosureDestructionReported,
  disclosureHandoverSigned,
  disclosurePackageProvided,
  disclosureSignOff,
  disclosureStatus,
  disclosureSubmit,
  disclosureWithdraw,
  disclosureWorkflow,
  disclosureWorkflowId,
  type DisclosureInput,
  type DisclosureStatus,
} from '../../workflows/disclosure';
import { type Actor } from '../../domain/sign-off';
import { testActivityDeps } from '../support/activities';
import { SAMPLE_FILES, seedCalls, type SeededCalls } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { bundleWorkflows, createTimeSkippingEnvironment, queryWhen, runWithWorker, historyRecorder } from '../support/temporal';
import { eventually } from '../support/eventually';

const TASK_QUEUE = 'disclosure-test';
const DAY = 86_400_000;
const actor = (username: string, role: RoleId): Actor => ({ username, role, department: 'it' });
const OPERATOR = actor('lee.operator', 'operator');
const DEPUTY = actor('park.deputy', 'deputy');
const CHIEF = actor('choi.chief', 'chief');
const SIGNERS = [OPERATOR, DEPUTY, CHIEF] as const;

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let calendar: LegalCalendar;
let workflowBundle: WorkflowBundleWithSourceMap;
let deps: ActivityDeps;
let calls: SeededCalls;

beforeAll(async () => {
  [db, calendar, workflowBundle] = await Promise.all([createTestDatabase('sqlite'), loadLegalCalendar('Asia/Seoul'), bundleWorkflows()]);
  calls = await seedCalls(db.orm);
  deps = testActivityDeps(db.orm, calendar);
}, 60_000);
afterAll(async () => db?.dispose());
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
});
const recorder = historyRecorder('disclosure');
afterEach(async () => {
  if (env) await recorder.keep(env.client);
  await env?.teardown();
});

// Every case here may be picked up by a new worker (the first test restarts it mid-case): no sticky cache.
const withWorker = (body: () => Promise<void>) =>
  runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps, replayEveryTask: true }, body);
const em = () => db.orm.em.fork();

/** A Form 1 as the operator registers it (numbered in its transaction), and its workflow started. */
async function register(kind: DisclosureKind, options: { ground?: DisclosureGround; groundDetail?: string; email?: string } = {}) {
  const receivedAt = new Date(await env.currentTimeMs());
  const request = await em().transactional(async (tx) => {
    const number = await takeManagementNumber(tx, receivedAt.getUTCFullYear());
    const row = new DisclosureRequest(
      number.managementNumber,
      number.year,
      number.sequence,
      '',
      kind,
      '홍길동',
      '1980-01-01',
      '경기도 광명시 철산로 123',
      '010-1234-5678',
      '2026. 11. 27. 14:00 무렵',
      '02-2680-1234',
      '민원 분쟁 증빙',
      '통화 당사자 본인',
      '통화 내용 확인이 필요합니다.',
      options.ground ?? 'party',
      receivedAt,
      OPERATOR.username,
    );
    row.workflowId = disclosureWorkflowId(row.id);
    row.groundDetail = 'groundDetail' in options ? options.groundDetail : '신분증과 통화 시각·번호로 본인 확인';
    row.applicantEmail = options.email;
    tx.persist(row);
    return row;
  });
  const input: DisclosureInput = {
    requestId: request.id,
    managementNumber: request.managementNumber,
    kind,
    signOffChain: ['operator', 'deputy', 'chief'],
    reminderWorkingDays: 2,
    viewingWindowHours: 2,
    destructionReport: { period: '30d', reminderDaysBefore: [7, 1], escalationAfterDays: 3, repeatEveryDays: 7 },
    recipient: options.email ? { channel: 'email', address: options.email } : { channel: 'post', address: '경기도 광명시 철산로 123' },
  };
  const handle = await env.client.workflow.start(disclosureWorkflow, { taskQueue: TASK_QUEUE, workflowId: request.workflowId, args: [input] });
  recorder.track(handle.workflowId);
  return { request, handle };
}
type Handle = Awaited<ReturnType<typeof register>>['handle'];
const statusWhen = (handle: Handle, check: (status: DisclosureStatus) => boolean) => queryWhen(handle, disclosureStatus, check);

/** A scan the operator attached to the request (the signed Form 2, the returned Form 3). */
async function attachScan(requestId: string, purpose: string): Promise<string> {
  const row = new Attachment('disclosure_request', requestId, purpose, `${purpose}.pdf`, `${purpose}.pdf`, 'application/pdf', 0, '', '', OPERATOR.username);
  const stored = deps.documents.put(row.id, SAMPLE_FILES.pdf);
  Object.assign(row, { sizeBytes: stored.sizeBytes, sha256: stored.sha256, wrappedKey: stored.wrappedKey });
  await em().persistAndFlush(row);
  return row.id;
}

async function confirmAndSubmit(handle: Handle, recordingIds: string[]): Promise<DisclosureStatus> {
  await handle.signal(disclosureConfirmRecordings, { actor: OPERATOR, recordingIds });
  await statusWhen(handle, (status) => status.recordings.length > 0 || status.refusedRecordings.length > 0);
  await handle.signal(disclosureSubmit, { actor: OPERATOR });
  return statusWhen(handle, (status) => status.state !== 'registered' || status.readinessProblems.length > 0);
}

async function signOffAll(handle: Handle): Promise<void> {
  for (const [index, who] of SIGNERS.entries()) {
    await statusWhen(handle, (status) => status.awaiting === who.role);
    await handle.signal(disclosureSignOff, { actor: who, decision: 'approve', comment: `${index + 1}단계 확인` });
  }
  await statusWhen(handle, (status) => status.handoverDocumentId !== undefined);
}

async function signHandover(handle: Handle, requestId: string, receivedAt: Date): Promise<void> {
  const attachmentId = await attachScan(requestId, 'signed_handover_receipt');
  await handle.signal(disclosureHandoverSigned, {
    actor: OPERATOR,
    signatureKind: 'paper_scan',
    attachmentId,
    recipientName: '홍길동',
    receivedAt: receivedAt.toISOString(),
  });
}

const openHolds = (requestId: string) => em().count(RecordingHold, { disclosureRequestId: requestId, releasedAt: null });
const stepsOf = async (requestId: string) =>
  (await em().find(AuditEvent, { targetType: 'disclosure_request', targetId: requestId }, { orderBy: { seq: 'asc' } })).map((event) => event.action);

test('provision: confirmed, signed off, Form 2 signed, package handed over, Form 3 returned in time — across a worker restart', async () => {
  const { request, handle } = await register('provision', { email: 'hong@example.test' });
  await withWorker(async () => {
    // A step by the wrong role changes nothing.
    await handle.signal(disclosureConfirmRecordings, { actor: DEPUTY, recordingIds: [calls.staffCall.id] });
    expect((await statusWhen(handle, (status) => status.refusals.length === 1)).recordings).toEqual([]);

    const submitted = await confirmAndSubmit(handle, [calls.staffCall.id, calls.headCall.id, calls.deletedCall.id]);
    expect(submitted.state).toBe('in_sign_off');
    expect(submitted.recordings).toEqual([calls.staffCall.id, calls.headCall.id].sort());
    expect(submitted.refusedRecordings).toEqual([{ recordingId: calls.deletedCall.id, reason: expect.stringContaining('이미 삭제') }]);
    expect(await openHolds(request.id)).toBe(2);

    // Out of turn: the chief before the operator.
    await handle.signal(disclosureSignOff, { actor: CHIEF, decision: 'approve', comment: '' });
    expect((await statusWhen(handle, (status) => status.refusals.length === 2)).refusals[1]?.reason).toContain('차례');
    // The worker stops once the refusal is on the record: an activity a stopping worker abandons is only retried when
    // its timeout ends, which here would be a minute of real time.
    await eventually(async () => (await stepsOf(request.id)).filter((action) => action === 'disclosure.signal_refused').length >= 2, {
      within: '15s',
      what: 'the refusal recorded',
    });
  });

  // Another worker picks the case up where it was.
  await withWorker(async () => {
    await signOffAll(handle);
    // Nothing is released before the signed Form 2: the package step is refused now.
    await handle.signal(disclosurePackageProvided, { actor: OPERATOR, packageSha256: 'f'.repeat(64) });
    expect((await statusWhen(handle, (status) => status.refusals.length === 3)).state).toBe('awaiting_handover');

    const receivedAt = new Date(await env.currentTimeMs());
    await signHandover(handle, request.id, receivedAt);
    const released = await statusWhen(handle, (status) => status.destructionReport !== undefined);
    expect(released.state).toBe('released');
    expect(released.destructionReport?.lastDay).toBe(calendar.deadline(receivedAt, { amount: 30, unit: 'day' }).lastDay);

    await handle.signal(disclosurePackageProvided, { actor: OPERATOR, packageSha256: 'a'.repeat(64) });
    await statusWhen(handle, (status) => status.state === 'awaiting_destruction_report');
    await env.sleep('10 days');
    const attachmentId = await attachScan(request.id, 'destruction_report');
    await handle.signal(disclosureDestructionReported, {
      actor: OPERATOR,
      attachmentId,
      destroyedAt: new Date(await env.currentTimeMs()).toISOString(),
      method: 'delete_overwrite',
      allCopiesDestroyed: true,
      witness: '김증인',
    });
    expect(await handle.result()).toMatchObject({ state: 'closed', endReason: '파기 결과 회신서 접수' });
  });

  const row = await em().findOneOrFail(DisclosureRequest, request.id);
  expect(row).toMatchObject({ status: 'closed', packageSha256: 'a'.repeat(64), releasedAt: expect.any(Date), endedAt: expect.any(Date) });
  expect(await openHolds(request.id)).toBe(0);
  const lines = await em().find(SignOff, { request: request.id }, { orderBy: { signedAt: 'asc' } });
  expect(lines.map((line) => [line.step, line.actor, line.decision])).toEqual([
    ['operator', 'lee.operator', 'approved'],
    ['deputy', 'park.deputy', 'approved'],
    ['chief', 'choi.chief', 'approved'],
  ]);
  const ledger = await em().findOneOrFail(LedgerEntry, { request: request.id });
  expect(ledger).toMatchObject({
    managementNumber: request.managementNumber,
    remarks: '제공',
    signOffOperator: expect.stringContaining('lee.operator'),
    signOffChief: expect.stringContaining('choi.chief'),
  });
  expect(await em().findOneOrFail(HandoverReceipt, { request: request.id })).toMatchObject({
    signatureKind: 'paper_scan',
    signedAt: expect.any(Date),
    receivedAt: expect.any(Date),
  });
  expect(await em().findOneOrFail(DestructionReport, { request: request.id })).toMatchObject({
    method: 'delete_overwrite',
    allCopiesDestroyed: true,
    witness: '김증인',
    reportedAt: expect.any(Date),
  });
  const documents = await em().find(GeneratedDocument, { caseId: request.id });
  expect(documents.map((document) => document.kind).sort()).toEqual(['form2-handover-receipt', 'form3-destruction-report']);
  // Returned in time: nobody was reminded.
  expect(await em().count(Notification, { relatedId: request.id })).toBe(0);
  expect(await stepsOf(request.id)).toEqual([
    'disclosure.signal_refused',
    'disclosure.recordings_confirmed',
    'disclosure.submitted',
    'disclosure.signal_refused',
    'disclosure.signed_off',
    'disclosure.signed_off',
    'disclosure.approved',
    'document.generated',
    'disclosure.signal_refused',
    'disclosure.handover_signed',
    'disclosure.ledger_written',
    'document.generated',
    'disclosure.package_provided',
    'disclosure.destruction_reported',
  ]);
}, 120_000);

test('Form 3 late: reminded before a deadline moved by 설날, overdue, escalated to the chief, reminded again', async () => {
  const { request, handle } = await register('provision', { email: 'hong@example.test' });
  await withWorker(async () => {
    await confirmAndSubmit(handle, [calls.itCall.id]);
    await signOffAll(handle);
    // The recipient comes for the copy on 2027-01-07: 30 days from the next day end on 2027-02-06, in 설날.
    await env.sleep(Date.parse('2027-01-07T10:00:00+09:00') - (await env.currentTimeMs()));
    const receivedAt = new Date(await env.currentTimeMs());
    await signHandover(handle, request.id, receivedAt);
    await statusWhen(handle, (status) => status.destructionReport !== undefined);
    await handle.signal(disclosurePackageProvided, { actor: OPERATOR, packageSha256: 'b'.repeat(64) });
    const waiting = await statusWhen(handle, (status) => status.state === 'awaiting_destruction_report');
    const naiveEnd = addDays(calendar.localDate(receivedAt), 30);
    expect(naiveEnd).toBe('2027-02-06');
    expect(calendar.isNonWorkingDay(naiveEnd)).toBe(true);
    expect(calendar.holidayNames('2027-02-08').join()).toContain('설날');
    expect(waiting.destructionReport?.lastDay).toBe(calendar.nextWorkingDayFrom(naiveEnd));
    expect(waiting.destructionReport!.lastDay > '2027-02-08').toBe(true);

    // Sleep past the escalation and one repeated reminder (every 7 days after it).
    await env.sleep(Date.parse(`${waiting.destructionReport!.lastDay}T09:00:00+09:00`) + 12 * DAY - (await env.currentTimeMs()));
    const attachmentId = await attachScan(request.id, 'destruction_report');
    await handle.signal(disclosureDestructionReported, {
      actor: OPERATOR,
      attachmentId,
      destroyedAt: new Date(await env.currentTimeMs()).toISOString(),
      method: 'physical_destruction',
      allCopiesDestroyed: true,
    });
    expect((await handle.result()).state).toBe('closed');
  });
  const lastDay = (await em().findOneOrFail(DestructionReport, { request: request.id })).dueAt;
  const sent = await em().find(Notification, { relatedId: request.id }, { orderBy: { triggeredAt: 'asc' } });
  expect(sent.map((notification) => [notification.idempotencyKey.split(':').pop(), notification.channel, notification.recipient])).toEqual([
    ['reminder-7', 'email', 'hong@example.test'],
    ['reminder-1', 'email', 'hong@example.test'],
    ['overdue', 'email', 'hong@example.test'],
    ['escalation', 'in_app', 'chief'],
    ['overdue-repeat-1', 'email', 'hong@example.test'],
  ]);
  // The overdue notice only once the (moved) last day has ended.
  expect(sent[2]!.triggeredAt.getTime()).toBeGreaterThanOrEqual(lastDay.getTime());
  // Each reminder carries the official letter; the escalation carries the memo for the chief.
  const documents = await em().find(GeneratedDocument, { caseId: request.id });
  const kindOf = (id: string | undefined) => documents.find((document) => document.id === id)?.kind;
  expect(sent.map((notification) => kindOf(notification.attachmentDocumentIds?.[0]))).toEqual([
    'destruction-report-reminder',
    'destruction-report-reminder',
    'destruction-report-reminder',
    'destruction-report-escalation',
    'destruction-report-reminder',
  ]);
  // Delivered: the e-mails went out (to the outbox here), the chief's memo is in the inbox.
  expect(sent.map((notification) => notification.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
  expect(await openHolds(request.id)).toBe(0);
}, 120_000);

test('viewing: released on the signed Form 2, closed when the viewing window ends', async () => {
  const { request, handle } = await register('viewing');
  await withWorker(async () => {
    await confirmAndSubmit(handle, [calls.staffCall.id]);
    await signOffAll(handle);
    await signHandover(handle, request.id, new Date(await env.currentTimeMs()));
    const released = await statusWhen(handle, (status) => status.viewingUntil !== undefined);
    expect(released.state).toBe('released');
    expect(Date.parse(released.viewingUntil!) - (await env.currentTimeMs())).toBeGreaterThan(DAY / 12 - 60_000);
    expect(await openHolds(request.id)).toBe(1);
    expect(await handle.result()).toMatchObject({ state: 'closed', endReason: '열람 시간 종료' });
  });
  expect(await openHolds(request.id)).toBe(0);
  expect(await em().findOneOrFail(LedgerEntry, { request: request.id })).toMatchObject({ remarks: '열람' });
}, 60_000);

test.each(SIGNERS.map((who, step) => [who.role, step] as const))(
  'rejected by the %s: the rejection notice, the case ended, holds released',
  async (_role, step) => {
    const { request, handle } = await register('provision');
    await withWorker(async () => {
      await confirmAndSubmit(handle, [calls.staffCall.id]);
      for (const who of SIGNERS.slice(0, step)) {
        await statusWhen(handle, (status) => status.awaiting === who.role);
        await handle.signal(disclosureSignOff, { actor: who, decision: 'approve', comment: '' });
      }
      const rejecter = SIGNERS[step]!;
      await statusWhen(handle, (status) => status.awaiting === rejecter.role);
      await handle.signal(disclosureSignOff, { actor: rejecter, decision: 'reject', comment: '통화 당사자로 확인되지 않음' });
      expect(await handle.result()).toMatchObject({ state: 'rejected', endReason: '통화 당사자로 확인되지 않음', rejectionNoticeId: expect.any(String) });
    });
    const row = await em().findOneOrFail(DisclosureRequest, request.id);
    expect(row).toMatchObject({ status: 'rejected', endReason: '통화 당사자로 확인되지 않음' });
    expect(await em().findOneOrFail(GeneratedDocument, { caseId: request.id })).toMatchObject({ kind: 'disclosure-rejection-notice' });
    expect((await em().find(SignOff, { request: request.id })).map((line) => line.decision).sort()).toEqual([...Array(step).fill('approved'), 'rejected']);
    expect(await openHolds(request.id)).toBe(0);
    expect(await em().count(LedgerEntry, { request: request.id })).toBe(0);
  },
  60_000,
);

test('a ground missing: the submission is refused with why, nothing goes to 결재 until it is recorded', async () => {
  const { request, handle } = await register('provision', { ground: 'other_law', groundDetail: undefined });
  await withWorker(async () => {
    const refused = await confirmAndSubmit(handle, [calls.staffCall.id]);
    expect(refused.state).toBe('registered');
    expect(refused.readinessProblems).toEqual([expect.stringContaining('근거 법령과 조항'), expect.stringContaining('근거 서류')]);
    expect(refused.refusals.at(-1)).toMatchObject({ action: 'submit', actor: 'lee.operator' });
    expect(refused.awaiting).toBeUndefined();

    // The operator records the law and attaches its document; the same request then goes forward.
    await em().nativeUpdate(DisclosureRequest, { id: request.id }, { groundDetail: '형사소송법 제215조 (압수·수색영장)' });
    await attachScan(request.id, 'ground_document');
    await handle.signal(disclosureSubmit, { actor: OPERATOR });
    // In 결재 once the submission is recorded: the operator's turn first.
    expect((await statusWhen(handle, (status) => status.awaiting !== undefined)).state).toBe('in_sign_off');
    expect((await handle.query(disclosureStatus)).awaiting).toBe('operator');
    await handle.signal(disclosureWithdraw, { actor: OPERATOR, reason: '신청인 철회' });
    await handle.result();
  });
  expect(await stepsOf(request.id)).toEqual(['disclosure.recordings_confirmed', 'disclosure.submit_refused', 'disclosure.submitted', 'disclosure.withdrawn']);
}, 60_000);

test('withdrawn before release: ended cleanly, holds released; after release it is refused', async () => {
  const first = await register('viewing');
  const second = await register('provision');
  await withWorker(async () => {
    await confirmAndSubmit(first.handle, [calls.headCall.id]);
    await signOffAll(first.handle);
    await first.handle.signal(disclosureWithdraw, { actor: OPERATOR, reason: '신청인이 철회함' });
    expect(await first.handle.result()).toMatchObject({ state: 'withdrawn', endReason: '신청인이 철회함', endedBy: 'lee.operator' });

    await confirmAndSubmit(second.handle, [calls.itCall.id]);
    await signOffAll(second.handle);
    await signHandover(second.handle, second.request.id, new Date(await env.currentTimeMs()));
    await statusWhen(second.handle, (status) => status.state === 'released');
    await second.handle.signal(disclosureWithdraw, { actor: OPERATOR, reason: '늦은 철회' });
    const refused = await statusWhen(second.handle, (status) => status.refusals.length > 0);
    expect(refused).toMatchObject({ state: 'released', refusals: [{ action: 'withdraw', reason: expect.stringContaining('철회할 수 없습니다') }] });
    await second.handle.terminate('시험 끝');
  });
  expect(await em().findOneOrFail(DisclosureRequest, first.request.id)).toMatchObject({ status: 'withdrawn' });
  expect(await openHolds(first.request.id)).toBe(0);
  expect(await em().count(HandoverReceipt, { request: first.request.id, signedAt: { $ne: null } })).toBe(0);
}, 60_000);

test('recordings already deleted cannot be confirmed: shown with their deletion time, the request cannot go forward on them', async () => {
  const { request, handle } = await register('provision');
  await withWorker(async () => {
    const refused = await confirmAndSubmit(handle, [calls.deletedCall.id]);
    expect(refused.recordings).toEqual([]);
    expect(refused.refusedRecordings).toEqual([{ recordingId: calls.deletedCall.id, reason: expect.stringMatching(/^이미 삭제되었습니다 \(\d{4}\. /) }]);
    expect(refused.readinessProblems).toEqual([expect.stringContaining('확인된 녹취가 없습니다')]);
    await handle.signal(disclosureWithdraw, { actor: CHIEF, reason: '자료 없음' });
    await handle.result();
  });
  expect(await openHolds(request.id)).toBe(0);
  expect(await em().count(RecordingHold, { disclosureRequestId: request.id })).toBe(0);
}, 60_000);
