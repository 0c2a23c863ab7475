import { ReferenceKind, UniqueConstraintViolationException } from '@mikro-orm/core';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { Department, DisclosureRequest, DisclosureRequestRecording, Extension, Recording, RecordingHold } from '../../infra/db/entities';
import { disclosureRequestRow } from '../support/disclosure';

describe.each(availableDrivers())('schema and domain on %s', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(driver);
  });
  afterAll(async () => db?.dispose());

  // MikroORM 6's SQLite introspection reports foreign-key tables as changed even when they are not;
  // the PostgreSQL comparison is exact, and both dialects' migrations come from the same entities.
  if (driver === 'postgresql')
    test('the migrations produce exactly the schema the entities describe (no drift)', async () => {
      const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    });

  // On SQLite, where the differ cannot be trusted, check every entity's table and columns directly.
  if (driver === 'sqlite')
    test('every entity has its table with exactly its columns', async () => {
      const connection = db.orm.em.getConnection();
      let tables = 0;
      for (const meta of Object.values(db.orm.getMetadata().getAll())) {
        if (meta.abstract || meta.embeddable || !meta.tableName) continue;
        tables += 1;
        const expected = meta.props
          .filter((prop) => prop.fieldNames && prop.persist !== false && ['scalar', 'm:1', '1:1'].includes(prop.kind))
          .filter((prop) => prop.kind !== ReferenceKind.ONE_TO_ONE || prop.owner)
          .flatMap((prop) => prop.fieldNames)
          .sort();
        const actual = ((await connection.execute(`pragma table_info(\`${meta.tableName}\`)`)) as { name: string }[]).map((column) => column.name).sort();
        expect({ table: meta.tableName, columns: actual }).toEqual({ table: meta.tableName, columns: expected });
      }
      expect(tables).toBeGreaterThanOrEqual(16);
    });

  test('migrating again changes nothing, so a restart resumes on the same data', async () => {
    expect(await db.orm.getMigrator().getPendingMigrations()).toEqual([]);
  });

  test('an organisation tree with extensions and a recording keeps Korean text intact', async () => {
    const em = db.orm.em.fork();
    const cityHall = new Department('GM-CITY', '광명시청', 'city_hall');
    const it = new Department('GM-IT', '정보통신과', 'department');
    it.parent = cityHall;
    it.isManagingDepartment = true;
    const welfare = new Department('GM-WELFARE', '복지정책과 🙂 (민원)', 'department');
    welfare.parent = cityHall;
    const extension = new Extension('02-2680-1234', welfare);
    extension.owner = 'kim.minji';
    const recording = new Recording(
      'call-0001',
      extension,
      new Date('2026-11-01T01:02:03.456Z'),
      'inbound',
      'selective',
      'PCMU',
      new Date('2026-12-01T15:00:00Z'),
    );
    recording.otherPartyNumber = '010-1234-5678';
    em.persist([cityHall, it, welfare, extension, recording]);
    await em.flush();

    const read = await db.orm.em.fork().findOneOrFail(Recording, { callId: 'call-0001' }, { populate: ['extension.department.parent'] });
    expect(read.extension.department.name).toBe('복지정책과 🙂 (민원)');
    expect(read.extension.department.parent?.name).toBe('광명시청');
    expect(read.startedAt.toISOString()).toBe('2026-11-01T01:02:03.456Z');
    expect(read.mode).toBe('selective');
  });

  test('the wrapped key of a recording is never part of its serialised form', async () => {
    const em = db.orm.em.fork();
    const recording = await em.findOneOrFail(Recording, { callId: 'call-0001' });
    recording.wrappedKey = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    await em.flush();
    const reread = await db.orm.em.fork().findOneOrFail(Recording, { callId: 'call-0001' }, { populate: ['wrappedKey'] });
    expect(reread.wrappedKey).toBe('c2VjcmV0LWtleS1tYXRlcmlhbA==');
    expect(JSON.stringify(reread)).not.toContain('c2VjcmV0');
  });

  test('a call id, an extension number and a management number are unique', async () => {
    const em = db.orm.em.fork();
    const extension = await em.findOneOrFail(Extension, { number: '02-2680-1234' });
    em.persist(new Recording('call-0001', extension, new Date(), 'outbound', 'full', 'PCMA', new Date()));
    await expect(em.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);

    const request = (sequence: number, number: string) =>
      disclosureRequestRow(sequence, '02-2680-1234', { managementNumber: number, workflowId: `disclosure-${number}-${sequence}`, registeredBy: 'operator1' });
    const em2 = db.orm.em.fork();
    em2.persist(request(1, '2026-0001'));
    await em2.flush();
    const em3 = db.orm.em.fork();
    em3.persist(request(1, '2026-0002'));
    await expect(em3.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });

  test('a request names its recordings and holds them', async () => {
    const em = db.orm.em.fork();
    const request = await em.findOneOrFail(DisclosureRequest, { managementNumber: '2026-0001' });
    const recording = await em.findOneOrFail(Recording, { callId: 'call-0001' });
    em.persist(new DisclosureRequestRecording(request, recording, 'operator1'));
    const hold = new RecordingHold(recording, '관리번호 2026-0001 신청 처리 중', 'system:disclosure');
    hold.disclosureRequestId = request.id;
    em.persist(hold);
    await em.flush();
    const holds = await db.orm.em.fork().find(RecordingHold, { recording: { callId: 'call-0001' }, releasedAt: null });
    expect(holds.map((h) => h.reason)).toEqual(['관리번호 2026-0001 신청 처리 중']);
    const withRecordings = await db.orm.em.fork().findOneOrFail(DisclosureRequest, { managementNumber: '2026-0001' }, { populate: ['recordings.recording'] });
    expect(withRecordings.recordings.getItems().map((r) => r.recording.callId)).toEqual(['call-0001']);
  });
});
