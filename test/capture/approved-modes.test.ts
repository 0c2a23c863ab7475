/**
 * Modes backed by approvals (issue 18), on a real appliance: a switch to full only with a grant the back office signed
 * for that extension's approved application; an extension found in full with no approval in force is switched back at
 * the next reconciliation, flagged to the chief, and its calls in that time carry the compliance exception; an
 * approval's end is enforced by the appliance alone, with no worker running.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CaptureControlError } from '../../capture/control-client';
import type { GrantRequest } from '../../infra/grants';
import { AuditEvent, Department, Extension, Notification, Recording } from '../../infra/db/entities';
import { approvedGrant } from '../support/approvals';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';

let db: TestDatabase;
let capture: TestAppliance;
let welfare: Department;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  capture = await startTestAppliance(db.orm);
  const em = db.orm.em.fork();
  welfare = new Department('W-MODES', '복지정책과', 'department');
  em.persist([welfare, ...['02-2680-7001', '02-2680-7002', '02-2680-7003', '02-2680-7004'].map((number) => new Extension(number, welfare))]);
  await em.flush();
}, 60_000);

afterAll(async () => {
  await capture?.close();
  await db?.dispose();
});

const extensionRow = (number: string) => db.orm.em.fork().findOneOrFail(Extension, { number });
const auditOf = (number: string, action: string) =>
  db.orm.em.fork().find(AuditEvent, { targetType: 'extension', targetId: number, action }, { orderBy: { seq: 'asc' } });

const approvedGrantFor = (number: string, overrides: Partial<GrantRequest> = {}, key?: KeyObject) => approvedGrant(db.orm, number, overrides, key);

const switchToFull = (number: string, grant?: string) =>
  capture.clients.worker.setExtensionMode(number, { mode: 'full', onBehalfOf: 'choi.chief', reason: '전수 녹취 승인', grant });

test('a switch to full without a grant, with an expired, foreign-key or other-extension grant is refused, audited, and changes nothing', async () => {
  const number = '02-2680-7001';
  const expired = await approvedGrantFor(number, {
    notBefore: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    notAfter: new Date(Date.now() - 1000).toISOString(),
  });
  const foreign = await approvedGrantFor(number, {}, generateKeyPairSync('ed25519').privateKey);
  const otherExtension = await approvedGrantFor('02-2680-7002');
  for (const [grant, code] of [
    [undefined, 'GRANT_MISSING'],
    [expired.token, 'GRANT_EXPIRED'],
    [foreign.token, 'GRANT_SIGNATURE_INVALID'],
    [otherExtension.token, 'GRANT_NOT_COVERING'],
  ] as const) {
    const refusal = await switchToFull(number, grant).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CaptureControlError);
    expect(refusal).toMatchObject({ code, status: 403 });
  }
  const unchanged = await extensionRow(number);
  expect(unchanged.mode).toBe('selective');
  expect(unchanged.fullRecordingApprovalId ?? undefined).toBeUndefined();
  const refused = await auditOf(number, 'extension.mode_refused');
  expect(refused.map((entry) => [entry.actor, (JSON.parse(entry.detail ?? '{}') as { code: string }).code])).toEqual([
    ['capture-client:worker', 'GRANT_MISSING'],
    ['capture-client:worker', 'GRANT_EXPIRED'],
    ['capture-client:worker', 'GRANT_SIGNATURE_INVALID'],
    ['capture-client:worker', 'GRANT_NOT_COVERING'],
  ]);
  expect(await auditOf(number, 'extension.mode_changed')).toEqual([]);

  // The approved application's own grant switches it, and the appliance keeps the approval with the extension.
  const valid = await approvedGrantFor(number);
  await expect(switchToFull(number, valid.token)).resolves.toMatchObject({ mode: 'full' });
  expect(await extensionRow(number)).toMatchObject({
    mode: 'full',
    fullRecordingApprovalId: valid.grant.case.id,
    fullRecordingApprovedUntil: new Date(valid.grant.notAfter),
  });
  await capture.appliance.reconcile();
  expect((await extensionRow(number)).mode).toBe('full');
  // Selective needs no grant.
  await expect(capture.clients.worker.setExtensionMode(number, { mode: 'selective', onBehalfOf: 'choi.chief', reason: '종료' })).resolves.toMatchObject({
    mode: 'selective',
  });
});

test('an extension found in full with no approval is switched back at the next reconciliation, flagged, and its calls carry the exception', async () => {
  const number = '02-2680-7003';
  const em = db.orm.em.fork();
  const extension = await em.findOneOrFail(Extension, { number });
  // As the development data once had it, or a hand edit of the table: full, and no grant ever presented.
  extension.mode = 'full';
  extension.fullRecordingSince = new Date(Date.now() - 60_000);
  await em.flush();

  const recorded = await capture.record({ callId: 'unapproved-full-1', extension: number });
  expect(recorded).toMatchObject({ mode: 'full', complianceException: 'full_without_approval' });

  await capture.appliance.reconcile();
  const switchedBack = await extensionRow(number);
  expect(switchedBack.mode).toBe('selective');
  expect(switchedBack.fullRecordingSince ?? undefined).toBeUndefined();
  const [switched] = await auditOf(number, 'extension.mode_changed');
  expect(switched).toMatchObject({ actor: 'system:capture' });
  expect(JSON.parse(switched?.detail as string)).toMatchObject({ from: 'full', to: 'selective', cause: 'no_approval_in_force' });
  const flagged = await db.orm.em.fork().find(Notification, { relatedType: 'extension', relatedId: number });
  expect(flagged).toEqual([expect.objectContaining({ recipient: 'chief', channel: 'in_app', subject: '[경고] 승인 없는 전수 녹취' })]);

  // From then on the extension records only with the record button, without the exception.
  const after = await capture.record({ callId: 'unapproved-full-2', extension: number });
  expect(after.mode).toBe('selective');
  expect(after.complianceException ?? undefined).toBeUndefined();
  expect(await db.orm.em.fork().count(Recording, { complianceException: 'full_without_approval' })).toBe(1);
});

test('an approval whose period ends with no worker running ends on time, by the appliance alone', async () => {
  const number = '02-2680-7004';
  const { token, grant } = await approvedGrantFor(number, { notAfter: new Date(Date.now() + 1500).toISOString() });
  await switchToFull(number, token);
  expect((await extensionRow(number)).mode).toBe('full');
  await eventually(async () => (await extensionRow(number)).mode === 'selective', { within: '5s', what: 'the approval ended by the appliance' });
  const [, ended] = await auditOf(number, 'extension.mode_changed');
  expect(ended).toMatchObject({ actor: 'system:capture' });
  expect(ended?.reason).toContain('승인 기간 종료');
  expect(JSON.parse(ended?.detail as string)).toMatchObject({ cause: 'approval_ended', approvalId: grant.case.id, approvedUntil: grant.notAfter });
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(grant.notAfter));
  // Ended on time is no breach: nothing is flagged.
  expect(await db.orm.em.fork().count(Notification, { relatedType: 'extension', relatedId: number })).toBe(0);
});
