import { generateKeyPairSync, randomUUID, type KeyPairKeyObjectResult } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Extension, FullRecordingApplication } from '../../infra/db/entities';

let keys: KeyPairKeyObjectResult | undefined;

/**
 * The back office's grant key pair for a test process: the activities sign with its private half and the test
 * appliance verifies with its public half, as the worker and the appliance do with GRANT_*_KEY_FILE.
 */
export function testGrantKeys(): KeyPairKeyObjectResult {
  keys ??= generateKeyPairSync('ed25519');
  return keys;
}

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
