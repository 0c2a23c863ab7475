import { randomUUID, type KeyObject } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { Extension, FullRecordingApplication } from '../../infra/db/entities';
import { signGrant, type GrantRequest } from '../../infra/grants';
import { TEST_GRANT_KEYS } from './grants';

/**
 * An extension recording in full as an approved application in force has it (issue 18): the application's row, active
 * and covering the extension, and the approval the appliance stored with the extension when its grant switched it.
 * Persisted with the caller's next flush.
 */
export function approveFullRecording(em: EntityManager, extension: Extension, until = new Date(Date.now() + 30 * 86_400_000)): FullRecordingApplication {
  const since = extension.fullRecordingSince ?? new Date(Date.now() - 86_400_000);
  const application = new FullRecordingApplication(`test-full-${randomUUID()}`, 'kim.head', extension.department, 'malicious_complaints', '시험', since);
  application.status = 'active';
  application.periodTo = until;
  application.extensions.add(extension);
  extension.mode = 'full';
  extension.fullRecordingSince = since;
  extension.fullRecordingApprovalId = application.id;
  extension.fullRecordingApprovedUntil = until;
  em.persist(application);
  return application;
}

/** An application in force covering extension `number`, and the grant to switch it to full as the worker signs it. */
export async function approvedGrant(orm: MikroORM, number: string, overrides: Partial<GrantRequest> = {}, key: KeyObject = TEST_GRANT_KEYS.privateKey) {
  const em = orm.em.fork();
  const extension = await em.findOneOrFail(Extension, { number }, { populate: ['department'] });
  const application = new FullRecordingApplication(
    `test-full-${randomUUID()}`,
    'kim.head',
    extension.department,
    'malicious_complaints',
    '폭언 민원',
    new Date(),
  );
  application.status = 'active';
  application.extensions.add(extension);
  await em.persistAndFlush(application);
  const now = Date.now();
  return signGrant(key, {
    kind: 'full-recording',
    extensions: [number],
    case: { type: 'full_recording_application', id: application.id },
    subject: 'choi.chief',
    notBefore: new Date(now - 60_000).toISOString(),
    notAfter: new Date(now + 86_400_000).toISOString(),
    singleUse: false,
    ...overrides,
  });
}
