/**
 * The daily retention inventory (issue 19) on the real time-skipping Temporal test server, a real capture appliance
 * and a real database (SQLite and PostgreSQL): a clean system reports nothing; then a recording left past its time, a
 * provision package left past its Form 3 deadline, a sealed file planted with no row behind it and a copy of a call's
 * file planted on the appliance's disk are each found,
 * the report is in the audit chain and on the dashboard's data, the chief and the operator are told and the managing
 * department is e-mailed; and a case keeping recordings too long in 결재 is escalated to the chief once.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { readRetentionOverview } from '../../api/retention-overview';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { AuditEvent, BackupRecord, Notification, Recording, RecordingHold } from '../../infra/db/entities';
import { retentionSweepWorkflow, retentionWorkflowId } from '../../workflows/retention';
import { retentionInventoryWorkflow, type RetentionInventoryResult, type RetentionInventoryWorkflowInput } from '../../workflows/retention-inventory';
import { testActivityDeps } from '../support/activities';
import { availableDrivers } from '../support/databases';
import { disclosureRequestRow } from '../support/disclosure';
import { decidedHold, sealedPackage } from '../support/holds';
import { createRetentionFixture, type RetentionFixture } from '../support/retention';
import { bundleWorkflows, createTimeSkippingEnvironment, runWithWorker } from '../support/temporal';

const TASK_QUEUE = 'retention-inventory-test';
const DAY = 86_400_000;
const INPUT: RetentionInventoryWorkflowInput = {
  graceMinutes: 60,
  caseAlerts: { signOffDays: 14, destructionReportDays: 14 },
  managingDepartmentEmail: 'it-records@gm.example.test',
};

let workflowBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  workflowBundle = await bundleWorkflows();
}, 60_000);

describe.each(availableDrivers())('the daily retention inventory on %s', (driver) => {
  let fixture: RetentionFixture;
  let env: TestWorkflowEnvironment;
  let deps: ReturnType<typeof testActivityDeps>;

  beforeAll(async () => {
    fixture = await createRetentionFixture({ driver });
    deps = testActivityDeps(fixture.db.orm, fixture.calendar, { capture: fixture.capture });
  }, 60_000);
  afterAll(async () => fixture?.close());
  // A fresh test server per test: each starts at today's date, whatever the previous test skipped to.
  beforeEach(async () => {
    env = await createTimeSkippingEnvironment();
  });
  afterEach(async () => env?.teardown());

  const inventory = async (id: string) => {
    let result: RetentionInventoryResult | undefined;
    await runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps }, async () => {
      result = await env.client.workflow.execute(retentionInventoryWorkflow, { taskQueue: TASK_QUEUE, workflowId: id, args: [INPUT] });
    });
    return result as RetentionInventoryResult;
  };

  test('a clean system: nothing found, the report in the audit chain, nobody disturbed', async () => {
    const now = await env.currentTimeMs();
    // Kept and not due yet, and due but held by a decision in force: neither is a finding.
    await fixture.record(new Date(now - DAY));
    const held = await fixture.record(new Date(now - 40 * DAY));
    const em = fixture.db.orm.em.fork();
    decidedHold(em, held.id, new Date(now + 30 * DAY));
    await em.flush();

    const result = await inventory(`inventory-clean-${driver}`);
    expect(result.report).toMatchObject({ total: 0, findings: [] });
    expect(result.told).toEqual([]);
    const [entry] = await fixture.db.orm.em.fork().find(AuditEvent, { action: 'retention.inventory' });
    expect(entry).toMatchObject({ actor: 'system:retention-inventory', reason: '보존기간 점검: 이상 없음' });
    expect((await readRetentionOverview(fixture.db.orm.em.fork(), new Date(now))).lastInventory).toMatchObject({ total: 0 });
  });

  test('a recording, a package and a planted file past their time are found, reported and told; a stuck case escalated', async () => {
    const now = await env.currentTimeMs();
    const em = fixture.db.orm.em.fork();
    const forgotten = await fixture.record(new Date(now - 45 * DAY));
    const packageRow = sealedPackage(em, deps.documents, '2026-0042', new Date(now - 2 * DAY));
    const planted = randomUUID();
    deps.documents.put(planted, Buffer.from('a file nobody accounts for'));
    // A copy of the call's file left on the appliance's disk under another name: audio nothing accounts for.
    const copied = randomUUID();
    const copyKey = `2020/01/01/${copied}.rec`;
    mkdirSync(path.join(fixture.dataDir, 'recordings', '2020', '01', '01'), { recursive: true });
    copyFileSync(path.join(fixture.dataDir, 'recordings', forgotten.storageKey as string), path.join(fixture.dataDir, 'recordings', copyKey));
    // A case that has kept a recording for three weeks without getting through 결재.
    const stuck = disclosureRequestRow(77, '010-1234-5678', { managementNumber: `2026-77${driver === 'sqlite' ? '1' : '2'}` });
    stuck.status = 'in_sign_off';
    const kept = await fixture.record(new Date(now - 25 * DAY));
    const caseHold = new RecordingHold(em.getReference(Recording, kept.id), '녹취정보 제공 신청', 'system:disclosureWorkflow');
    caseHold.disclosureRequestId = stuck.id;
    caseHold.createdAt = new Date(now - 21 * DAY);
    // A backup made before the forgotten call was due, never destroyed.
    const backup = new BackupRecord(randomUUID(), `/mnt/backup/inventory-${driver}`, 'f'.repeat(64), new Date(now - 40 * DAY), new Date(now - 3 * DAY));
    await em.persist([stuck, caseHold, backup]).flush();

    const result = await inventory(`inventory-found-${driver}`);
    // The forgotten call is found twice: its row is not deleted, and its file is still on the appliance's disk.
    expect(result.report.counts).toMatchObject({
      backup_expired: 1,
      recording_overdue: 1,
      package_overdue: 1,
      orphan_document: 1,
      appliance_file: 2,
      appliance_unchecked: 0,
    });
    expect(result.report.findings.map((finding) => finding.id).sort()).toEqual([backup.id, forgotten.id, forgotten.id, packageRow.id, planted, copied].sort());
    expect(result.report.findings.find((finding) => finding.id === copied)?.what).toContain(copyKey);
    expect(result.waitingCases).toEqual([expect.objectContaining({ requestId: stuck.id, waiting: 'sign_off' })]);
    expect(result.told).toEqual(['in_app:chief', 'in_app:operator', 'email:it-records@gm.example.test']);
    expect(result.undelivered).toBeUndefined();

    const fresh = fixture.db.orm.em.fork();
    const [entry] = await fresh.find(AuditEvent, { action: 'retention.inventory' }, { orderBy: { seq: 'desc' }, limit: 1 });
    expect(entry?.reason).toBe('보존기간 점검: 기한이 지난 음성·파일 6건 발견');
    expect((await readRetentionOverview(fresh, new Date(now))).lastInventory).toMatchObject({ total: 6 });
    const told = await fresh.find(Notification, { relatedType: 'retention_inventory' }, { orderBy: { recipient: 'asc' } });
    expect(told.map((row) => [row.channel, row.recipient, row.status])).toEqual([
      ['in_app', 'chief', 'sent'],
      ['email', 'it-records@gm.example.test', 'sent'],
      ['in_app', 'operator', 'sent'],
    ]);
    expect(told[0]?.body).toContain(forgotten.id);
    // Without a relay the message is in the outbox, as the relay would have been handed it.
    expect(readdirSync(path.join(deps.dataDir, 'outbox')).filter((name) => name.endsWith('.eml'))).toHaveLength(1);
    expect(await fresh.count(Notification, { idempotencyKey: `case-wait:${stuck.id}:sign_off` })).toBe(1);
    expect(await fresh.count(AuditEvent, { action: 'disclosure.hold_escalated', targetId: stuck.id })).toBe(1);

    // The next morning the case is not escalated again, and what was found is still reported until it is gone.
    await env.sleep(DAY);
    const next = await inventory(`inventory-next-${driver}`);
    expect(next.report.total).toBe(6);
    expect(await fixture.db.orm.em.fork().count(Notification, { idempotencyKey: `case-wait:${stuck.id}:sign_off` })).toBe(1);

    // The hourly sweep deletes the forgotten call and destroys the package; what is left is what nothing accounts
    // for, which a person must look at.
    await runWithWorker(env.nativeConnection, { taskQueue: TASK_QUEUE, workflowBundle, deps }, async () => {
      const sweep = await env.client.workflow.execute(retentionSweepWorkflow, { taskQueue: TASK_QUEUE, workflowId: `sweep-${driver}` });
      // Other days may be due too by the server's skipped clock (the earlier test's calls): each is deleted by its run.
      expect(sweep).toMatchObject({ packagesDestroyed: 1, started: expect.arrayContaining([fixture.calendar.localDate(forgotten.startedAt)]) });
      for (const day of sweep.started) await env.client.workflow.getHandle(retentionWorkflowId(day)).result();
    });
    const after = await inventory(`inventory-after-sweep-${driver}`);
    expect(after.report.counts).toMatchObject({ backup_expired: 1, recording_overdue: 0, package_overdue: 0, orphan_document: 1, appliance_file: 1 });
    expect((await verifyAuditChain(fixture.db.orm.em.fork())).ok).toBe(true);
  });
});
