/**
 * Backups on the retention clock (issue 19) over a real database: a backup's manifest and the system's record carry
 * the latest due instant of what it holds (live recordings, held ones, sealed provision packages, calls still being
 * recorded; not what was deleted before it); the compiled `backup:expired` lists the backups past it in Korean,
 * `backup:destroy-expired` destroys exactly the listed files of the recorded folder and audits it, and refuses —
 * touching nothing — a folder that is not that backup, a manifest changed since, a listed path leading out of the
 * folder (`..`, a symbolic link), the data folder itself; `--register` puts a backup the system has no record of on
 * the clock (one from before issue 19 too) or records where it was moved.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newDataKey } from '../../infra/crypto/envelope';
import { listExpiredBackups } from '../../infra/db/backups';
import { AuditEvent, BackupRecord, Department, Extension, Recording, RecordingHold } from '../../infra/db/entities';
import { createDocumentStore } from '../../infra/documents/document-store';
import { loadLegalCalendar } from '../../infra/holidays';
import { loadSettings, type Settings } from '../../infra/settings';
import { backup } from '../../ops/backup';
import { decidedHold, sealedPackage } from '../support/holds';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { opsCommand, systemEnv } from '../support/ops-commands';

const DAY_MS = 86_400_000;

describe.each(availableDrivers())('backups on the retention clock, on %s', (driver) => {
  let db: TestDatabase;
  let settings: Settings;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  const folders: string[] = [];
  const folder = (prefix: string) => {
    const created = mkdtempSync(path.join(os.tmpdir(), prefix));
    folders.push(created);
    return created;
  };
  const now = new Date();
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const em = () => db.orm.em.fork();
  const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
  const recordingFile = (storageKey: string) => path.join(dataDir, 'recordings', ...storageKey.split('/'));

  beforeAll(async () => {
    db = await createTestDatabase(driver);
    dataDir = folder('expiry-data-');
    mkdirSync(path.join(dataDir, 'keys'), { mode: 0o700 });
    writeFileSync(path.join(dataDir, 'keys', 'master.key'), `${newDataKey().toString('base64')}\n`, { mode: 0o600 });
    env = systemEnv(dataDir, db.settings);
    settings = loadSettings(env);
  });
  afterAll(async () => {
    await db?.dispose();
    for (const created of folders) rmSync(created, { recursive: true, force: true });
  });

  /** A recording row as registered, with a file in the store unless it is a tombstone. */
  async function recording(extension: Extension, dueAt: Date, options: { deleted?: boolean } = {}): Promise<Recording> {
    const row = new Recording(`call-${randomUUID()}`, extension, at(-1), 'inbound', 'selective', 'PCMU', dueAt);
    if (options.deleted) {
      row.deletedAt = at(-0.5);
    } else {
      row.storageKey = `2026/12/01/${randomUUID()}.rec`;
      row.wrappedKey = `v1.${randomBytes(60).toString('base64')}`;
      mkdirSync(path.dirname(recordingFile(row.storageKey)), { recursive: true });
      writeFileSync(recordingFile(row.storageKey), randomBytes(4096));
    }
    await em().persist(row).flush();
    return row;
  }

  let first: { id: string; location: string; latestDueAt: Date };
  let second: { id: string; location: string };

  test('the manifest and the record carry when the latest thing the backup holds is due', async () => {
    const department = new Department('D-EXP', '복지정책과', 'department');
    const extension = new Extension('02-2680-7000', department);
    await em().persist([department, extension]).flush();
    await recording(extension, at(10));
    await recording(extension, at(20));
    // Deleted before the backup: neither its key nor its file is in it, so its due date does not count.
    await recording(extension, at(30), { deleted: true });
    // Held by a case (no end of its own: at its due date) and by a decision until day 27: due at the decision's end.
    const held = await recording(extension, at(-1));
    const holds = em();
    holds.persist(new RecordingHold(holds.getReference(Recording, held.id), '열람·제공 신청', 'lee.operator'));
    decidedHold(holds, held.id, at(27));
    await holds.flush();
    // A disclosure case's sealed provision package copies its recordings: due at its own destruction time (the case's
    // Form 3 deadline), here day 26, whatever became of the calls it copies.
    const packages = em();
    sealedPackage(packages, createDocumentStore({ dataDir, masterKey: newDataKey() }), '2026-0071', at(26));
    await packages.flush();

    const target = path.join(folder('expiry-backup-'), 'backup');
    const report = await backup({ settings, orm: db.orm, target });
    expect(report.latestDueAt).toEqual(at(27));
    const manifestText = readFileSync(path.join(target, 'manifest.json'));
    expect(JSON.parse(manifestText.toString())).toMatchObject({ backupId: report.backupId, latestDueAt: at(27).toISOString() });
    expect(await em().findOneOrFail(BackupRecord, report.backupId)).toMatchObject({
      location: target,
      manifestSha256: sha256(manifestText),
      latestDueAt: at(27),
      destroyedAt: null,
    });
    const created = await em().findOneOrFail(AuditEvent, { action: 'backup.created', targetId: report.backupId });
    expect(JSON.parse(created.detail)).toMatchObject({ location: target });
    first = { id: report.backupId, location: target, latestDueAt: at(27) };

    // A call being recorded has a `.partial` file and no row yet: it is due as a call made now is.
    mkdirSync(path.join(dataDir, 'recordings', 'partial'), { recursive: true });
    writeFileSync(path.join(dataDir, 'recordings', 'partial', `${randomUUID()}.partial`), randomBytes(1024));
    const calendar = await loadLegalCalendar(settings.timeZone);
    const earliest = calendar.retentionDueAt(new Date(), settings.retentionPeriod);
    const later = await backup({ settings, orm: db.orm, target: path.join(folder('expiry-backup-'), 'backup') });
    expect([earliest.getTime(), calendar.retentionDueAt(new Date(), settings.retentionPeriod).getTime()]).toContain(later.latestDueAt?.getTime());
    expect(later.latestDueAt!.getTime()).toBeGreaterThan(at(27).getTime());
    second = { id: later.backupId, location: (await em().findOneOrFail(BackupRecord, later.backupId)).location };

    // Nothing is due yet.
    expect(await listExpiredBackups(em(), now)).toEqual([]);
    const listed = await opsCommand('backup-expired', [], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain('파기 기한이 지난 백업이 없습니다.');
    expect(listed.stdout).toContain('보관 중인 백업 2개, 다음 파기 기한');
    expect(listed.stdout).toContain(first.id);
  });

  test('past their due instant: listed in Korean, destroyed file by file, recorded and audited; anything else refused untouched', async () => {
    // The first backup's recordings fell due two days ago (overdue), the second's an hour ago.
    await em().nativeUpdate(BackupRecord, { id: first.id }, { latestDueAt: at(-2) });
    await em().nativeUpdate(BackupRecord, { id: second.id }, { latestDueAt: new Date(now.getTime() - 3_600_000) });
    expect((await listExpiredBackups(em(), now)).map((backup) => backup.id)).toEqual([first.id]);
    expect((await listExpiredBackups(em(), now, 0)).map((backup) => backup.id)).toEqual([first.id, second.id]);

    // Records that point at what is not their backup, due earlier, so each is tried before the real ones.
    const outside = folder('expiry-outside-');
    const victim = path.join(outside, 'victim.txt');
    writeFileSync(victim, 'not a backup');
    const hostile = async (location: string, manifest?: object, manifestSha256?: string) => {
      const id = randomUUID();
      if (manifest) {
        mkdirSync(location, { recursive: true });
        const text = JSON.stringify({ format: 'gm-recording-backup', version: 1, backupId: id, createdAt: now.toISOString(), ...manifest });
        writeFileSync(path.join(location, 'manifest.json'), text);
        manifestSha256 ??= sha256(text);
      }
      await em()
        .persist(new BackupRecord(id, location, manifestSha256 ?? '0'.repeat(64), at(-40), at(-10)))
        .flush();
      return id;
    };
    const otherBackup = await hostile(first.location, undefined, sha256(readFileSync(path.join(first.location, 'manifest.json'))));
    const notABackup = await hostile(outside);
    const dotDot = await hostile(path.join(outside, 'dotdot'), { files: [{ path: '../victim.txt', sha256: '', bytes: 0 }] });
    const linkDir = path.join(outside, 'link');
    mkdirSync(linkDir);
    symlinkSync(victim, path.join(linkDir, 'database.sqlite'));
    const link = await hostile(linkDir, { files: [{ path: 'database.sqlite', sha256: '', bytes: 0 }] });
    const changed = await hostile(path.join(outside, 'changed'), { files: [] }, '1'.repeat(64));
    const theData = await hostile(dataDir);

    // An unlisted file someone put into the second backup stays, and is named.
    writeFileSync(path.join(second.location, 'notes.txt'), '운영 메모');

    const listed = await opsCommand('backup-expired', [], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toContain('파기 기한이 지난 백업 8개');
    expect(listed.stdout).toMatch(new RegExp(`${first.id}\\s+${first.location}\\s+파기 기한 \\d{4}\\. \\d+\\. \\d+\\. \\d{2}:\\d{2}\\s+\\[기한 초과\\]`));
    expect(listed.stdout).not.toMatch(new RegExp(`${second.id}.*기한 초과`));
    expect(listed.stdout).toContain('npm run backup:destroy-expired');

    const destroyed = await opsCommand('backup-expired', ['--destroy'], env);
    expect(destroyed).toMatchObject({ code: 1, stderr: '' });
    const line = (id: string) => destroyed.stdout.split('\n').find((text) => text.includes(`: 백업 ${id} (`)) ?? '';
    expect(line(otherBackup)).toContain(`폴더의 백업(${first.id})이 기록된 백업(${otherBackup})이 아닙니다`);
    expect(line(notABackup)).toContain('백업 목록(manifest.json)이 없습니다');
    expect(line(dotDot)).toContain('목록의 경로가 백업 폴더 밖을 가리킵니다: ../victim.txt');
    expect(line(link)).toContain('일반 파일이 아닙니다');
    expect(line(changed)).toContain('SHA-256 불일치');
    expect(line(theData)).toContain('데이터 폴더');
    expect(readFileSync(victim, 'utf8')).toBe('not a backup');
    expect(existsSync(path.join(dataDir, 'keys', 'master.key'))).toBe(true);
    expect(existsSync(path.join(linkDir, 'database.sqlite'))).toBe(true);

    expect(line(first.id)).toMatch(/^파기함: 백업 .+: 파일 \d+개, [\d,]+바이트$/);
    expect(line(second.id)).toMatch(/^파기함: /);
    expect(destroyed.stdout).toContain('목록에 없는 파일은 남겨 두었습니다: notes.txt');
    expect(existsSync(first.location)).toBe(false);
    expect(readFileSync(path.join(second.location, 'notes.txt'), 'utf8')).toBe('운영 메모');
    expect(existsSync(path.join(second.location, 'manifest.json'))).toBe(false);
    expect(existsSync(path.join(second.location, 'recordings'))).toBe(false);

    const rows = await em().find(BackupRecord, { destroyedAt: { $ne: null } });
    expect(rows.map((row) => row.id).sort()).toEqual([first.id, second.id].sort());
    expect(rows[0]!.destroyedBy).toBe(os.userInfo().username);
    const entries = await em().find(AuditEvent, { action: 'backup.destroyed' }, { orderBy: { seq: 'asc' } });
    expect(entries.map((entry) => entry.targetId)).toEqual([first.id, second.id]);
    expect(JSON.parse(entries[0]!.detail)).toMatchObject({ location: first.location, files: expect.any(Number), manifestSha256: expect.any(String) });

    // What was refused is still listed, and nothing is destroyed twice.
    const again = await opsCommand('backup-expired', [], env);
    expect(again.stdout).toContain('파기 기한이 지난 백업 6개');
    expect(again.stdout).not.toContain(first.id);
  });

  test('a backup the system has no record of is put on the clock; a moved one is found again', async () => {
    const target = path.join(folder('expiry-register-'), 'backup');
    const made = await backup({ settings, orm: db.orm, target });
    // As after a restore from an older backup: the database has no record of this one.
    await em().nativeDelete(BackupRecord, { id: made.backupId });

    const added = await opsCommand('backup-expired', ['--register', target], env);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain(`등록함: 백업 ${made.backupId} (${target}), 파기 기한`);
    expect(await em().findOneOrFail(BackupRecord, made.backupId)).toMatchObject({ location: target, latestDueAt: made.latestDueAt });
    expect((await opsCommand('backup-expired', ['--register', target], env)).stdout).toContain('이미 등록됨');

    const moved = path.join(folder('expiry-moved-'), 'backup');
    renameSync(target, moved);
    expect((await opsCommand('backup-expired', ['--register', moved], env)).stdout).toContain('위치를 바꿈');
    expect(await em().findOneOrFail(BackupRecord, made.backupId)).toMatchObject({ location: moved });
    const registered = await em().find(AuditEvent, { action: 'backup.registered', targetId: made.backupId }, { orderBy: { seq: 'asc' } });
    expect(registered.map((entry) => JSON.parse(entry.detail) as { location: string; previousLocation: string | null })).toMatchObject([
      { location: target, previousLocation: null },
      { location: moved, previousLocation: target },
    ]);

    // A backup made before issue 19 names no due instant: every call in it was made before it, so it is due as one
    // made then.
    const old = path.join(folder('expiry-old-'), 'backup');
    mkdirSync(old, { recursive: true });
    const createdAt = new Date(now.getTime() - 5 * DAY_MS);
    const oldId = randomUUID();
    writeFileSync(
      path.join(old, 'manifest.json'),
      JSON.stringify({ format: 'gm-recording-backup', version: 1, backupId: oldId, createdAt: createdAt.toISOString(), files: [] }),
    );
    expect((await opsCommand('backup-expired', ['--register', old], env)).code).toBe(0);
    const calendar = await loadLegalCalendar(settings.timeZone);
    expect((await em().findOneOrFail(BackupRecord, oldId)).latestDueAt).toEqual(calendar.retentionDueAt(createdAt, settings.retentionPeriod));

    // Not a backup: refused with the reason, exit 1.
    const refused = await opsCommand('backup-expired', ['--register', folder('expiry-empty-')], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('백업 목록(manifest.json)이 없습니다');
  });
});
