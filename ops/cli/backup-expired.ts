/**
 * `npm run backup:expired`: the data backups past their due instant (ops/backup-expiry.ts), in Korean; exit 0.
 * `npm run backup:destroy-expired` (`--destroy`): destroys them; exit 0 when every one was, 1 when one was refused
 * (its folder missing, not the recorded backup, a listed path leading out of it), 2 for usage errors.
 * `--register <백업 폴더>`: puts a backup the system has no record of on the clock, or records where it now is.
 */
import { parseArgs } from 'node:util';
import { formatKoreanDateTime } from '../../domain/korean-time';
import { BACKUP_EXPIRY_GRACE_MS } from '../../infra/db/backups';
import { initOrm } from '../../infra/db/orm';
import { loadSettingsOrExit } from '../../infra/settings';
import { backupsOnTheClock, destroyExpiredBackups, registerBackup } from '../backup-expiry';
import { BackupError } from '../backup-manifest';
import { runCommand } from './run-command';

const USAGE = `사용법: npm run backup:expired                        파기 기한이 지난 백업을 보여 줍니다
       npm run backup:destroy-expired                파기 기한이 지난 백업을 파기합니다 (백업 매체를 연결한 채로)
       npm run backup:expired -- --register <백업 폴더>  기록에 없는 백업(이전 버전의 백업, 복원 뒤의 백업)을 등록하거나 옮긴 위치를 알립니다
`;

async function main(): Promise<number> {
  let values: { destroy?: boolean; register?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { destroy: { type: 'boolean' }, register: { type: 'string', multiple: true }, help: { type: 'boolean' } },
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings = loadSettingsOrExit();
  const when = (instant: Date) => formatKoreanDateTime(instant, settings.timeZone);
  const orm = await initOrm(settings);
  try {
    const out: string[] = [];
    for (const folder of values.register ?? []) {
      const registered = await registerBackup({ orm, settings, folder });
      const due = registered.latestDueAt ? `파기 기한 ${when(registered.latestDueAt)}` : '파기 기한 없음 (녹취가 담기지 않은 백업)';
      out.push(`${{ added: '등록함', moved: '위치를 바꿈', unchanged: '이미 등록됨' }[registered.change]}: 백업 ${registered.id} (${folder}), ${due}`);
    }
    if (values.destroy) {
      const outcomes = await destroyExpiredBackups({ orm, settings });
      if (outcomes.length === 0) out.push('파기 기한이 지난 백업이 없습니다.');
      for (const outcome of outcomes) {
        if (outcome.destroyed) {
          out.push(`파기함: 백업 ${outcome.id} (${outcome.location}): 파일 ${outcome.files}개, ${outcome.bytes.toLocaleString('ko-KR')}바이트`);
          if (outcome.leftovers.length > 0) out.push(`  목록에 없는 파일은 남겨 두었습니다: ${outcome.leftovers.join(', ')}`);
        } else {
          out.push(`파기하지 않음: 백업 ${outcome.id} (${outcome.location}): ${outcome.refused}`);
        }
      }
      process.stdout.write(`${out.join('\n')}\n`);
      return outcomes.every((outcome) => outcome.destroyed) ? 0 : 1;
    }
    const clock = await backupsOnTheClock(orm);
    if (clock.due.length === 0) out.push('파기 기한이 지난 백업이 없습니다.');
    else {
      const overdue = clock.due.filter((backup) => backup.overdue).length;
      out.push(`파기 기한이 지난 백업 ${clock.due.length}개${overdue > 0 ? ` (기한을 ${BACKUP_EXPIRY_GRACE_MS / 3_600_000}시간 넘긴 것 ${overdue}개)` : ''}:`);
      for (const backup of clock.due) {
        out.push(`  ${backup.id}  ${backup.location}  파기 기한 ${when(backup.latestDueAt)}${backup.overdue ? '  [기한 초과]' : ''}`);
      }
      out.push('파기: npm run backup:destroy-expired (백업 매체를 연결한 채로)');
    }
    out.push(`보관 중인 백업 ${clock.kept}개` + (clock.next ? `, 다음 파기 기한 ${when(clock.next.latestDueAt)} (백업 ${clock.next.id})` : ''));
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCommand(main, '백업 파기 기한을 처리하지 못했습니다', { refusals: [BackupError] });
