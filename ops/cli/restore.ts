/**
 * `npm run restore -- <백업 폴더> [--keys <키 백업 폴더>]`: checks every file of a backup against its manifest and
 * restores it into the configured, empty data folder and database (ops/backup.ts), with the system stopped.
 * Exit code 0 when restored and the audit chain verifies, 1 when refused (nothing written) or the chain does not
 * verify, 2 for usage errors and what it could not do.
 */
import { BackupError } from '../backup-manifest';
import { restore } from '../restore';
import { MasterKeyError } from '../../infra/keys';
import { loadSettingsOrExit } from '../../infra/settings';
import { folderArguments } from './folder-arguments';
import { runCommand } from './run-command';

const USAGE = `사용법: npm run restore -- <백업 폴더> [--keys <키 백업 폴더>]
  시스템을 멈추고, 비어 있는 데이터 폴더(DATA_DIR)와 빈 데이터베이스에 복원합니다.
  --keys 가 없으면 MASTER_KEY_FILE 에 이 백업의 마스터 키가 있어야 합니다.
`;

async function main(): Promise<number> {
  const args = folderArguments(USAGE);
  if (typeof args === 'number') return args;
  const settings = loadSettingsOrExit();
  const report = await restore({ settings, source: args.folder, keysSource: args.keys });
  const chain = report.auditChain;
  process.stdout.write(
    [
      `복원을 마쳤습니다 (백업 번호 ${report.backupId}): 파일 ${report.files}개, 모두 목록의 SHA-256과 일치`,
      `  복원한 키: ${report.keysRestored.length > 0 ? report.keysRestored.join(', ') : '없음 (기존 키 사용)'}`,
      report.deletionsReapplied > 0
        ? `  백업 후 보존기간이 끝난 녹취 ${report.deletionsReapplied}건을 다시 삭제했습니다 (감사 기록 recording.deleted)`
        : '  백업 후 보존기간이 끝난 녹취: 없음',
      chain.ok ? `  감사 기록 무결성 확인: ${chain.entries}건 모두 정상` : `  감사 기록 검증 실패: ${chain.brokenAt}번째 — ${chain.problem}`,
    ].join('\n') + '\n',
  );
  return chain.ok ? 0 : 1;
}

runCommand(main, '복원하지 못했습니다', { refusals: [BackupError, MasterKeyError] });
