/**
 * `npm run backup -- <백업 폴더> [--keys <키 백업 폴더>]`: backs up the configured system's database, recording store
 * and documents into an empty folder with a SHA-256 manifest, and its keys into another (ops/backup.ts). The
 * system may keep running. Exit code 0 when done, 1 when refused, 2 for usage errors and what it could not do.
 */
import { backup } from '../backup';
import { BackupError } from '../backup-manifest';
import { formatKoreanDateTime } from '../../domain/korean-time';
import { initOrm } from '../../infra/db/orm';
import { MasterKeyError } from '../../infra/keys';
import { loadSettingsOrExit } from '../../infra/settings';
import { folderArguments } from './folder-arguments';
import { runCommand } from './run-command';

const USAGE = `사용법: npm run backup -- <백업 폴더> [--keys <키 백업 폴더>]
  데이터(데이터베이스, 녹취 파일, 문서)는 <백업 폴더>에, 키는 --keys 폴더에 따로 저장합니다.
  두 폴더는 서로 다른 매체·장소에 보관하십시오.
`;

async function main(): Promise<number> {
  const args = folderArguments(USAGE);
  if (typeof args === 'number') return args;
  const settings = loadSettingsOrExit();
  const orm = await initOrm(settings);
  try {
    const report = await backup({ settings, orm, target: args.folder, keysTarget: args.keys });
    process.stdout.write(
      [
        `백업을 마쳤습니다 (백업 번호 ${report.backupId}): 파일 ${report.files}개, ${report.bytes.toLocaleString('ko-KR')}바이트, 녹취 파일 ${report.recordingFiles}개` +
          (report.deletedLeftOut > 0 ? ` (백업 중 삭제된 녹취 ${report.deletedLeftOut}건은 넣지 않음)` : ''),
        `  목록(manifest.json)의 SHA-256: ${report.manifestSha256} — 이 값을 백업과 떨어진 곳(운영 일지)에 적어 두십시오`,
        `  필요한 마스터 키의 지문: ${report.masterKeyFingerprint}`,
        report.latestDueAt
          ? `  파기 기한: ${formatKoreanDateTime(report.latestDueAt, settings.timeZone)} — 담긴 녹취의 보존기간이 모두 끝나는 때입니다. 그 뒤 npm run backup:destroy-expired 로 파기하십시오`
          : '  파기 기한: 없음 (녹취가 담기지 않은 백업)',
        report.keysBackedUp
          ? `  경고: 키 백업(${args.keys})은 데이터 백업과 반드시 다른 매체·장소에 보관하십시오. 데이터와 키가 함께 있으면 암호화가 무의미합니다.`
          : '  경고: 키는 백업하지 않았습니다 (--keys). 마스터 키 없이는 이 백업을 복원해도 녹취와 문서를 열 수 없습니다.',
      ].join('\n') + '\n',
    );
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCommand(main, '백업하지 못했습니다', { refusals: [BackupError, MasterKeyError] });
