/**
 * 전수 녹취 (Art. 6, R1–R2) on the real time-skipping Temporal test server, with a real capture appliance over a real
 * database: an application reviewed and approved in the settings' order switches its extensions to full recording —
 * verified by reading the appliance back — and they go back to selective at the period's end, on revocation, or when
 * the yearly review is not renewed. Rejection, refused signals, reminders on the right working days (Christmas and a
 * weekend skipped), and an appliance that is down for a day are covered too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startAppliance, type Appliance } from '../../capture/appliance';
import { CaptureControlClient } from '../../capture/control-client';
import { newDataKey } from '../../infra/crypto/envelope';
import { seedDevelopmentOrganisation } from '../../infra/db/development-organisation';
import { AuditEvent, Department, Extension, FullRecordingApplication, Notification } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import type { LegalCalendar } from '../../domain/legal-period';
import { createLogger } from '../../infra/logger';
import { loadSettings } from '../../infra/settings';
import type { Actor } from '../../domain/full-recording-steps';
import {
  fullRecordingRenew,
  fullRecordingRevoke,
  fullRecordingSignOff,
  fullRecordingStatus,
  fullRecordingStep,
  fullRecordingWorkflow,
  fullRecordingWorkflowId,
  type FullRecordingInput,
  type FullRecordingStatus,
  type FullRecordingStepRequest,
} from '../../workflows/full-recording';
import { testActivityDeps } from '../support/activities';
import type { CaptureClient } from '../../infra/keys';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { controlTokens } from '../support/appliance';
import { TEST_GRANT_KEYS } from '../support/grants';
import { freePort } from '../support/ports';
import { bundleWorkflows, createTimeSkippingEnvironment, queryWhen, runWithWorker, historyRecorder } from '../support/temporal';
import { type RoleId } from '../../domain/roles';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { STEP_REFUSED } from '../../workflows/human-steps';
import { workflowItems } from '../../api/timeline-items';
import { eventually } from '../support/eventually';

const TASK_QUEUE = 'full-recording-test';
const DAY = 86_400_000;
const STAFF_EXTENSION = '02-2680-1234';
const actor = (username: string, role: RoleId, department?: string): Actor => ({ username, role, department });
const OPERATOR = actor('lee.operator', 'operator', 'it');
const DEPUTY = actor('park.deputy', 'deputy', 'it');
const CHIEF = actor('choi.chief', 'chief', 'it');
const HEAD = actor('kim.head', 'dept_head', 'welfare');

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let calendar: LegalCalendar;
let workflowBundle: WorkflowBundleWithSourceMap;
let dataDir: string;
let controlPort: number;
let tokens: Record<CaptureClient, string>;
let appliance: Appliance | undefined;
let capture: CaptureControlClient;

async function startTheAppliance(): Promise<void> {
  const first = (await freePort()) & ~1;
  appliance = await startAppliance({
    dataDir,
    masterKey: newDataKey(),
    orm: db.orm,
    calendar,
    retentionPeriod: loadSettings({}).retentionPeriod,
    logger: createLogger({ component: 'full-recording-test' }, 'error'),
    rtsp: { host: '127.0.0.1', port: 0, rtpPorts: { first, last: first + 7 }, sessionTimeoutMs: 10_000, devices: new Map() },
    control: { port: controlPort, tokens },
    grantPublicKey: TEST_GRANT_KEYS.publicKey,
  });
}

beforeAll(async () => {
  [db, calendar, workflowBundle] = await Promise.all([createTestDatabase('sqlite'), loadLegalCalendar('Asia/Seoul'), bundleWorkflows()]);
  await seedDevelopmentOrganisation(db.orm.em.fork());
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'full-recording-'));
  controlPort = await freePort();
  tokens = controlTokens();
  capture = new CaptureControlClient({ baseUrl: `http://127.0.0.1:${controlPort}`, token: tokens.worker });
  await startTheAppliance();
}, 60_000);

afterAll(async () => {
  await appliance?.stop();
  await db?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
  // Every test starts from selective recording on the applied extension.
  await capture.setExtensionMode(STAFF_EXTENSION, { mode: 'selective', onBehalfOf: 'test', reason: '시험 준비' });
});
const recorder = historyRecorder('full-recording');
afterEach(async () => {
  if (env) await recorder.keep(env.client);
  await env?.teardown();
});

const withWorker = (body: () => Promise<void>) =>
  runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps: testActivityDeps(db.orm, calendar, { capture }) }, body);

/** An application row as the API writes it, and its workflow started. */
async function apply(period: { from: number; to?: number }) {
  const em = db.orm.em.fork();
  const welfare = await em.findOneOrFail(Department, { code: 'welfare' });
  const application = new FullRecordingApplication('pending', HEAD.username, welfare, 'malicious_complaints', '폭언 민원 반복', new Date(period.from));
  application.periodTo = period.to === undefined ? undefined : new Date(period.to);
  application.workflowId = fullRecordingWorkflowId(application.id);
  application.extensions.add(await em.findOneOrFail(Extension, { number: STAFF_EXTENSION }));
  await em.persistAndFlush(application);
  const input: FullRecordingInput = {
    applicationId: application.id,
    applicant: HEAD.username,
    department: 'welfare',
    extensions: [STAFF_EXTENSION],
    periodFrom: new Date(period.from).toISOString(),
    periodTo: period.to === undefined ? undefined : new Date(period.to).toISOString(),
    approvalChain: ['operator', 'deputy', 'chief'],
    reminderWorkingDays: 2,
  };
  const handle = await env.client.workflow.start(fullRecordingWorkflow, { taskQueue: TASK_QUEUE, workflowId: application.workflowId, args: [input] });
  recorder.track(handle.workflowId);
  return { application, handle };
}

type Handle = Awaited<ReturnType<typeof apply>>['handle'];

const statusWhen = (handle: Handle, check: (status: FullRecordingStatus) => boolean) => queryWhen(handle, fullRecordingStatus, check);

async function approveAll(handle: Handle): Promise<void> {
  for (const [who, comment] of [
    [OPERATOR, '서류 확인'],
    [DEPUTY, '검토 완료'],
    [CHIEF, '승인'],
  ] as const) {
    await handle.signal(fullRecordingSignOff, { actor: who, decision: 'approve', comment });
    await statusWhen(handle, (status) => status.signOffs.some((signOff) => signOff.actor === who.username));
  }
}

const modeOf = async (number: string) => (await capture.extensionMode(number)).mode;
const rowOf = (application: FullRecordingApplication) => db.orm.em.fork().findOneOrFail(FullRecordingApplication, application.id);
const stepsOf = async (application: FullRecordingApplication) =>
  (await db.orm.em.fork().find(AuditEvent, { targetType: 'full_recording_application', targetId: application.id }, { orderBy: { seq: 'asc' } })).map(
    (event) => ({ action: event.action, actor: event.actor }),
  );

test('approved in order, applied and verified, back to selective when the period ends months later', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 90 * DAY });
    await approveAll(handle);
    const active = await statusWhen(handle, (status) => status.state === 'active');
    expect(active.appliedAt).toBeDefined();
    expect(await modeOf(STAFF_EXTENSION)).toBe('full');
    expect((await rowOf(application)).status).toBe('active');
    expect((await rowOf(application)).decidedBy).toBe(CHIEF.username);

    const ended = await handle.result();
    expect(ended).toMatchObject({ state: 'ended', endReason: 'period_ended' });
    expect(Date.parse(ended.endedAt as string)).toBeGreaterThanOrEqual(now + 90 * DAY);
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
    expect(await stepsOf(application)).toEqual([
      { action: 'full_recording.signed_off', actor: OPERATOR.username },
      { action: 'full_recording.signed_off', actor: DEPUTY.username },
      { action: 'full_recording.approved', actor: CHIEF.username },
      { action: 'full_recording.switched_to_full', actor: 'system:fullRecordingWorkflow' },
      { action: 'full_recording.period_ended', actor: 'system:fullRecordingWorkflow' },
    ]);
    expect(await rowOf(application)).toMatchObject({ status: 'ended', endedAt: expect.any(Date) });
  });
});

test('rejected by the deputy: the case ends with the reason and the extension is never switched', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 30 * DAY });
    await handle.signal(fullRecordingSignOff, { actor: OPERATOR, decision: 'approve', comment: '서류 확인' });
    await statusWhen(handle, (status) => status.awaiting === 'deputy');
    await handle.signal(fullRecordingSignOff, { actor: DEPUTY, decision: 'reject', comment: '사유가 구체적이지 않음' });
    expect(await handle.result()).toMatchObject({ state: 'rejected', endReason: 'rejected', endedBy: DEPUTY.username });
    expect(await rowOf(application)).toMatchObject({ status: 'rejected', decidedBy: DEPUTY.username, decisionReason: '사유가 구체적이지 않음' });
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
  });
});

test('signals the rules do not allow are refused, audited, and change nothing', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 30 * DAY });
    // The chief before the operator; a head of another department revoking; the operator signing twice.
    await handle.signal(fullRecordingSignOff, { actor: CHIEF, decision: 'approve', comment: '바로 승인' });
    await handle.signal(fullRecordingRevoke, { actor: actor('seo.head', 'dept_head', 'it'), reason: '다른 부서' });
    await handle.signal(fullRecordingSignOff, { actor: OPERATOR, decision: 'approve', comment: '서류 확인' });
    await statusWhen(handle, (status) => status.awaiting === 'deputy');
    await handle.signal(fullRecordingSignOff, { actor: { ...OPERATOR, role: 'deputy' }, decision: 'approve', comment: '겸직' });
    const status = await statusWhen(handle, (current) => current.refusals.length === 3);
    expect(status).toMatchObject({ state: 'under_review', awaiting: 'deputy', signOffs: [expect.objectContaining({ actor: OPERATOR.username })] });
    expect(status.refusals.map((refusal) => [refusal.actor, refusal.reason])).toEqual([
      [CHIEF.username, expect.stringContaining('차례')],
      ['seo.head', expect.stringContaining('신청 부서의 장')],
      [OPERATOR.username, '같은 사람이 두 단계를 처리할 수 없습니다.'],
    ]);
    await eventually(async () => (await db.orm.em.fork().count(AuditEvent, { action: 'full_recording.signal_refused', targetId: application.id })) === 3, {
      within: '15s',
      what: 'the three refusals audited',
    });
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
    await handle.signal(fullRecordingRevoke, { actor: HEAD, reason: '신청 철회' });
    expect(await handle.result()).toMatchObject({ state: 'revoked', endReason: 'withdrawn', endedBy: HEAD.username });
  });
});

test('steps as Updates: refused at once with the reason and nothing recorded; a user with several roles acts as the awaited one', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 30 * DAY });
    const step = (request: FullRecordingStepRequest) => handle.executeUpdate(fullRecordingStep, { args: [request] });
    const refusalOf = (request: FullRecordingStepRequest) =>
      step(request).then(
        () => 'accepted',
        (error: unknown) =>
          error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === STEP_REFUSED
            ? error.cause.message
            : error,
      );
    const user = (who: Actor, ...roles: RoleId[]) => ({ username: who.username, roles: roles.length > 0 ? roles : [who.role], department: who.department });
    // The chief before the operator, a head of another department revoking: refused with why, before anything happens.
    expect(await refusalOf({ action: 'sign_off', user: user(CHIEF), decision: 'approve', comment: '바로 승인' })).toContain('차례');
    expect(await refusalOf({ action: 'revoke', user: { username: 'seo.head', roles: ['dept_head'], department: 'it' }, reason: '다른 부서' })).toContain(
      '신청 부서의 장',
    );
    // One person holding the operator's and the deputy's roles signs the first step as the operator, then not the second.
    expect(await step({ action: 'sign_off', user: user(OPERATOR, 'deputy', 'operator'), decision: 'approve', comment: '서류 확인' })).toEqual({
      actingAs: 'operator',
    });
    await statusWhen(handle, (status) => status.awaiting === 'deputy');
    expect(await refusalOf({ action: 'sign_off', user: user(OPERATOR, 'deputy', 'operator'), decision: 'approve', comment: '겸직' })).toBe(
      '같은 사람이 두 단계를 처리할 수 없습니다.',
    );
    const status = await handle.query(fullRecordingStatus);
    expect(status).toMatchObject({
      state: 'under_review',
      awaiting: 'deputy',
      refusals: [],
      signOffs: [expect.objectContaining({ actor: OPERATOR.username, role: 'operator' })],
    });
    // A refused Update leaves no trace in the history: only the accepted one is there.
    const history = await handle.fetchHistory();
    expect((history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    // The case's timeline reads the accepted step from the history: who sent it, the role it was taken as, the comment.
    expect(workflowItems(history, handle.workflowId).filter((item) => item.event.startsWith('update:'))).toEqual([
      expect.objectContaining({ event: 'update:fullRecordingSignOff', actor: OPERATOR.username, role: 'operator', reason: '서류 확인' }),
    ]);
    expect(await db.orm.em.fork().count(AuditEvent, { action: 'full_recording.signal_refused', targetId: application.id })).toBe(0);
    expect(await step({ action: 'revoke', user: user(HEAD), reason: '신청 철회' })).toEqual({ actingAs: 'dept_head' });
    expect(await handle.result()).toMatchObject({ state: 'revoked', endReason: 'withdrawn', endedBy: HEAD.username });
  });
});

test('revoked by the applicant while active: back to selective at once', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 365 * DAY });
    await approveAll(handle);
    await statusWhen(handle, (status) => status.state === 'active');
    expect(await modeOf(STAFF_EXTENSION)).toBe('full');
    await env.sleep(10 * DAY);
    await handle.signal(fullRecordingRevoke, { actor: HEAD, reason: '민원 해소' });
    expect(await handle.result()).toMatchObject({ state: 'revoked', endReason: 'revoked', endedBy: HEAD.username });
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
    expect(await rowOf(application)).toMatchObject({ status: 'revoked' });
  });
});

test('until revoked: renewed at the first yearly review, ended when the second is not renewed', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { handle } = await apply({ from: now });
    await approveAll(handle);
    const active = await statusWhen(handle, (status) => status.state === 'active' && status.reviewDueAt !== undefined);
    const firstReview = Date.parse(active.reviewDueAt as string);
    expect(firstReview - Date.parse(active.appliedAt as string)).toBeGreaterThanOrEqual(365 * DAY);
    // Into the 30 days before the review: the head is told, and renews.
    await env.sleep(firstReview - 20 * DAY - (await env.currentTimeMs()));
    await handle.signal(fullRecordingRenew, { actor: HEAD });
    const renewed = await statusWhen(handle, (status) => Date.parse(status.reviewDueAt as string) > firstReview);
    expect(renewed).toMatchObject({ state: 'active', renewals: [expect.objectContaining({ actor: HEAD.username })] });
    // The appliance ends full recording at the approval's end by itself: the renewal handed it the new end.
    const extension = await db.orm.em.fork().findOneOrFail(Extension, { number: STAFF_EXTENSION });
    expect(extension.fullRecordingApprovedUntil?.toISOString()).toBe(renewed.reviewDueAt);

    const ended = await handle.result();
    expect(ended).toMatchObject({ state: 'ended', endReason: 'review_not_renewed' });
    expect(Date.parse(ended.endedAt as string)).toBeGreaterThanOrEqual(Date.parse(renewed.reviewDueAt as string));
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
    const notices = await db.orm.em.fork().find(Notification, { recipient: 'dept_head:welfare' });
    expect(notices.length).toBe(2);
  });
});

test('a sign-off left waiting reminds its role after two working days, skipping Christmas and the weekend', async () => {
  // Thursday 24 December 2026, 10:00 in Seoul.
  const christmasEve = Date.parse('2026-12-24T01:00:00Z');
  await env.sleep(christmasEve - (await env.currentTimeMs()));
  await withWorker(async () => {
    const { application, handle } = await apply({ from: christmasEve, to: christmasEve + 60 * DAY });
    await statusWhen(handle, (status) => status.awaiting === 'operator');
    await env.sleep(8 * DAY);
    await handle.signal(fullRecordingSignOff, { actor: OPERATOR, decision: 'approve', comment: '늦은 확인' });
    await statusWhen(handle, (status) => status.awaiting === 'deputy');
    const reminders = await db.orm.em.fork().find(Notification, { relatedId: application.id }, { orderBy: { triggeredAt: 'asc' } });
    // 25 Dec is a holiday, 26–27 a weekend: Mon 28 and Tue 29 are the two working days, then Wed 30 and Thu 31; 1 Jan
    // is a holiday and 2–3 a weekend, so the next falls on Tue 5 January — after the operator signed.
    expect(reminders.map((reminder) => [reminder.recipient, reminder.triggeredAt.toISOString()])).toEqual([
      ['operator', '2026-12-29T00:00:00.000Z'],
      ['operator', '2026-12-31T00:00:00.000Z'],
    ]);
    await handle.signal(fullRecordingRevoke, { actor: CHIEF, reason: '시험 종료' });
    await handle.result();
  });
});

test('the appliance down for a day: approved but not applied, shown with the error; applied once it is back', async () => {
  const now = await env.currentTimeMs();
  await withWorker(async () => {
    const { application, handle } = await apply({ from: now, to: now + 30 * DAY });
    await appliance?.stop();
    appliance = undefined;
    await approveAll(handle);
    const waiting = await statusWhen(handle, (status) => status.state === 'approved' && status.lastApplyError !== undefined);
    expect(waiting.appliedAt).toBeUndefined();
    expect((await rowOf(application)).status).toBe('approved');
    await env.sleep(DAY);
    expect((await handle.query(fullRecordingStatus)).applyAttempts).toBeGreaterThan(100);

    await startTheAppliance();
    await env.sleep(11 * 60_000);
    const active = await statusWhen(handle, (status) => status.state === 'active');
    expect(active.lastApplyError).toBeUndefined();
    expect(await modeOf(STAFF_EXTENSION)).toBe('full');
    expect((await rowOf(application)).status).toBe('active');
    await handle.signal(fullRecordingRevoke, { actor: CHIEF, reason: '시험 종료' });
    await handle.result();
    expect(await modeOf(STAFF_EXTENSION)).toBe('selective');
  });
}, 60_000);
