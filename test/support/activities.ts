import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { ActivityDeps } from '../../activities';
import { newDataKey } from '../../infra/crypto/envelope';
import { createDocumentStore } from '../../infra/documents/document-store';
import type { LegalCalendar } from '../../infra/legal-period';

/** Real activity dependencies over a test database, with documents sealed in a fresh folder under a fresh key. */
export function testActivityDeps(orm: MikroORM, calendar: LegalCalendar, templatesDir?: string): ActivityDeps & { dataDir: string } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'recording-activities-'));
  return { orm, calendar, documents: createDocumentStore({ dataDir, masterKey: newDataKey() }), templatesDir, dataDir };
}
