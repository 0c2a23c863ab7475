/**
 * Issue 22: files attached before the system named them kept the uploader's name (`run.bat`, `증빙자료.hta`), and that
 * name was what a download was called. Migrating moves it to `original_name` and gives every such file the name a new
 * upload gets, numbered in the order they were attached within their case and purpose.
 */
import { randomUUID } from 'node:crypto';
import { Attachment } from '../../infra/db/entities';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { disclosureRequestRow } from '../support/disclosure';

/** The last migration before attachments had system names. */
const BEFORE = 'Migration20261128121900';

describe.each(availableDrivers())('attachments migrated to system names (%s)', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(driver, { migrateTo: BEFORE });
  });
  afterAll(async () => db?.dispose());

  test("old rows keep the uploader's name as text and get the system's name with the extension of their type", async () => {
    const request = disclosureRequestRow(12, '02-2680-1234');
    await db.orm.em.fork().persistAndFlush(request);
    const applicationId = randomUUID();
    const old = [
      { ownerType: 'full_recording_application', ownerId: applicationId, purpose: 'evidence', fileName: 'run.bat', contentType: 'application/pdf' },
      { ownerType: 'full_recording_application', ownerId: applicationId, purpose: 'evidence', fileName: '사진.exe', contentType: 'image/jpeg' },
      { ownerType: 'disclosure_request', ownerId: request.id, purpose: 'ground_document', fileName: '증빙자료.hta', contentType: 'image/png' },
      { ownerType: 'disclosure_request', ownerId: request.id, purpose: 'other', fileName: '메모.pdf', contentType: 'application/pdf' },
      { ownerType: 'disclosure_request', ownerId: request.id, purpose: 'ground_document', fileName: '두번째.pdf', contentType: 'application/pdf' },
      {
        ownerType: 'disclosure_request',
        ownerId: request.id,
        purpose: 'provision_package',
        fileName: '녹취정보제공_2026-0012.zip',
        contentType: 'application/zip',
      },
    ];
    // Written as the table was then, without `original_name`, one millisecond apart as attachments were.
    const connection = db.orm.em.getConnection();
    const now = Date.now();
    for (const [index, row] of old.entries()) {
      const createdAt = new Date(now + index);
      await connection.execute(
        'insert into attachment (id, created_at, updated_at, owner_type, owner_id, purpose, file_name, content_type, size_bytes, sha256, uploaded_by, wrapped_key) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          randomUUID(),
          ...[createdAt, createdAt].map((at) => (driver === 'sqlite' ? at.getTime() : at.toISOString())),
          row.ownerType,
          row.ownerId,
          row.purpose,
          row.fileName,
          row.contentType,
          1,
          '0'.repeat(64),
          'lee.operator',
          'key',
        ],
      );
    }

    await db.orm.getMigrator().up();

    const rows = await db.orm.em.fork().find(Attachment, {}, { orderBy: { createdAt: 'asc' } });
    expect(rows.map(({ fileName, originalName }) => ({ fileName, originalName }))).toEqual([
      { fileName: `증빙자료_${applicationId}_1.pdf`, originalName: 'run.bat' },
      { fileName: `증빙자료_${applicationId}_2.jpg`, originalName: '사진.exe' },
      { fileName: '근거서류_2026-0012_1.png', originalName: '증빙자료.hta' },
      { fileName: '기타첨부_2026-0012_1.pdf', originalName: '메모.pdf' },
      { fileName: '근거서류_2026-0012_2.pdf', originalName: '두번째.pdf' },
      { fileName: '녹취정보제공_2026-0012.zip', originalName: '녹취정보제공_2026-0012.zip' },
    ]);
  });
});
