/**
 * The document activity over a real database: a form is made once per idempotency key, stored sealed
 * (no DOCX and no Korean plaintext on disk), recorded with an audit entry, readable only with the
 * master key, and made from the city's own template when there is one.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createActivities } from '../../activities';
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { newDataKey } from '../../infra/crypto/envelope';
import { AuditEvent, GeneratedDocument } from '../../infra/db/entities';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadLegalCalendar } from '../../infra/holidays';
import { buildDocx } from '../../templates/docx/ooxml';
import { BLANK_FORMS, municipality } from '../../templates/documents';
import { testActivityDeps } from '../support/activities';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';

const FIELDS = { ...BLANK_FORMS['form1-application'](municipality('광명시')), applicantName: '홍길동' };

describe.each(availableDrivers())('generated documents on %s', (driver) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(driver);
  });
  afterEach(async () => db?.dispose());

  const input = (key: string) => ({
    idempotencyKey: key,
    kind: 'form1-application' as const,
    fields: FIELDS,
    caseType: 'DisclosureRequest',
    caseId: '2026-0001',
    purpose: 'form1',
    actor: 'lee.operator',
  });

  test('made once per key, sealed on disk, audited, and readable with the key', async () => {
    const deps = testActivityDeps(db.orm, await loadLegalCalendar('Asia/Seoul'));
    const { generateDocument } = createActivities(deps);
    const [first, again] = await Promise.all([generateDocument(input('case-1:form1')), generateDocument(input('case-1:form1'))]);
    expect(again.documentId).toBe(first.documentId);
    expect(await db.orm.em.fork().count(GeneratedDocument)).toBe(1);

    const files = readdirSync(path.join(deps.dataDir, 'documents'));
    expect(files).toEqual([`${first.documentId}.sealed`]);
    const onDisk = readFileSync(path.join(deps.dataDir, 'documents', files[0]!));
    expect(onDisk.subarray(0, 2).toString('latin1')).not.toBe('PK');
    expect(onDisk.includes(Buffer.from('홍길동'))).toBe(false);

    const row = await db.orm.em.fork().findOneOrFail(GeneratedDocument, first.documentId, { populate: ['wrappedKey'] });
    const docx = deps.documents.get(row.id, row.wrappedKey);
    expect(createHash('sha256').update(docx).digest('hex')).toBe(first.sha256);
    expect(docx.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(row.templateSource).toBe('built-in');

    const audit = await db.orm.em.fork().find(AuditEvent, { action: 'document.generated' });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).toContain(first.documentId);
    expect((await verifyAuditChain(db.orm.em)).ok).toBe(true);

    // Another master key cannot open it.
    const stranger = createDocumentStore({ dataDir: deps.dataDir, masterKey: newDataKey() });
    expect(() => stranger.get(row.id, row.wrappedKey)).toThrow(/복호화에 실패/);
  });

  test("the city's own template is used when it has one", async () => {
    const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'city-templates-'));
    writeFileSync(path.join(templatesDir, 'form1-application.docx'), await buildDocx([{ paragraph: { runs: ['시흥시 서식 {{applicantName}}'] } }]));
    const deps = testActivityDeps(db.orm, await loadLegalCalendar('Asia/Seoul'), { templatesDir });
    const made = await createActivities(deps).generateDocument(input('case-2:form1'));
    const row = await db.orm.em.fork().findOneOrFail(GeneratedDocument, made.documentId, { populate: ['wrappedKey'] });
    expect(row.templateSource).toBe('city');
    const xml = deps.documents.get(row.id, row.wrappedKey).toString('latin1');
    expect(xml).toContain('PK');
  });

  test('a template that cannot be filled fails for good, leaving nothing behind', async () => {
    const deps = testActivityDeps(db.orm, await loadLegalCalendar('Asia/Seoul'));
    const { applicantName: _missing, ...incomplete } = FIELDS;
    await expect(createActivities(deps).generateDocument({ ...input('case-3:form1'), fields: incomplete as typeof FIELDS })).rejects.toMatchObject({
      type: 'DocumentTemplateFailed',
      nonRetryable: true,
    });
    expect(await db.orm.em.fork().count(GeneratedDocument)).toBe(0);
  });
});
