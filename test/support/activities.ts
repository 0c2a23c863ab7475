import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { ActivityDeps } from '../../activities';
import { CaptureControlClient } from '../../capture/control-client';
import { newDataKey } from '../../infra/crypto/envelope';
import { DevelopmentDirectory } from '../../infra/directory/development-directory';
import { createDocumentStore } from '../../infra/documents/document-store';
import { createMailer } from '../../infra/mail';
import type { LegalCalendar } from '../../domain/legal-period';
import { TEST_GRANT_KEYS } from './grants';

/**
 * Real activity dependencies over a test database, with documents sealed in a fresh folder under a fresh key.
 * Suites that delete recordings pass the control client of a real capture appliance; for the others the client
 * points at a closed port, so a deletion would fail as the appliance being unavailable.
 */
export function testActivityDeps(
  orm: MikroORM,
  calendar: LegalCalendar,
  options: { templatesDir?: string; capture?: CaptureControlClient } = {},
): ActivityDeps & { dataDir: string } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'recording-activities-'));
  return {
    orm,
    calendar,
    documents: createDocumentStore({ dataDir, masterKey: newDataKey() }),
    templatesDir: options.templatesDir,
    capture: options.capture ?? new CaptureControlClient({ baseUrl: 'http://127.0.0.1:9', token: 'no-appliance-in-this-suite' }),
    directory: new DevelopmentDirectory(),
    grantSigningKey: TEST_GRANT_KEYS.privateKey,
    // No relay in these suites: mail goes to the outbox folder in the suite's data folder (test/mail uses a real SMTP server).
    mailer: createMailer({ smtpUrl: undefined, mailFrom: '"광명시 행정전화 녹취시스템" <recording@localhost>', dataDir }),
    site: { municipalityName: '광명시', timeZone: 'Asia/Seoul', reportPeriod: '30일' },
    // The audit archive in the suite's data folder, sealed with a key of its own (issue 19).
    auditArchive: { folder: path.join(dataDir, 'audit-archive'), signingKey: generateKeyPairSync('ed25519').privateKey },
    dataDir,
  };
}
