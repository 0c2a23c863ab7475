/**
 * `npm run rotate-master-key -- [--new-key-file <file>] [--keep-old-key]`: re-wraps every data key under a new master
 * key (ops/key-rotation.ts), with the whole system stopped, and makes the new key the key file.
 * `npm run rotate-master-key -- --generate-key <file>` only writes a new key file (owner-only) and prints its
 * fingerprint, for a key made ahead (e.g. on the machine where it will be kept in escrow).
 * Exit code 0 when done, 1 when refused or stopped (the key file is then still the old one, or the rotation can be
 * finished by running it again), 2 for usage errors and what it could not even begin.
 */
import { parseArgs } from 'node:util';
import { initOrm } from '../../infra/db/orm';
import { KeyRotationError, rotateMasterKey, writeNewKeyFile, type RotationReport } from '../key-rotation';
import { MasterKeyError } from '../../infra/keys';
import { portAnswers } from '../../infra/net';
import { loadSettingsOrExit } from '../../infra/settings';
import { runCommand } from './run-command';

const USAGE = `사용법:
  npm run rotate-master-key -- [--new-key-file <파일>] [--keep-old-key]
  npm run rotate-master-key -- --generate-key <파일>
시스템(API, 워커, 녹취 장치)을 모두 멈춘 뒤 실행하십시오. 중간에 멈추면 같은 명령을 다시 실행해 마칩니다.
`;

class UsageError extends Error {}

const TABLE_LABELS: Record<string, string> = {
  recording: '녹취',
  generated_document: '생성 문서',
  attachment: '첨부파일',
  archived_history: '보관된 처리 이력',
};

async function main(): Promise<number> {
  let values: { 'new-key-file'?: string; 'keep-old-key'?: boolean; 'generate-key'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        'new-key-file': { type: 'string' },
        'keep-old-key': { type: 'boolean' },
        'generate-key': { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values['generate-key']) {
    const fingerprint = writeNewKeyFile(values['generate-key']);
    process.stdout.write(`새 마스터 키 파일을 만들었습니다: ${values['generate-key']} (지문 ${fingerprint}, 소유자만 읽기)\n`);
    return 0;
  }

  const settings = loadSettingsOrExit();
  // A running component would keep wrapping new recordings under the old key, or read keys as they change.
  const control = new URL(settings.captureControlUrl);
  const running = [
    { what: 'API', host: '127.0.0.1', port: settings.apiPort },
    { what: '녹취 장치 제어 API', host: control.hostname, port: Number(control.port) || 80 },
  ];
  for (const component of running) {
    if (await portAnswers(component.port, component.host)) {
      process.stderr.write(
        `시스템이 실행 중입니다 (${component.what}, ${component.host}:${component.port} 응답): 모두 멈춘 뒤 다시 실행하십시오 [SYSTEM_RUNNING]\n`,
      );
      return 1;
    }
  }

  const orm = await initOrm(settings);
  try {
    const report = await rotateMasterKey({
      orm,
      dataDir: settings.dataDir,
      masterKeyFile: settings.masterKeyFile,
      newKeyFile: values['new-key-file'],
      keepOldKey: values['keep-old-key'] ?? false,
      onProgress: (event) => {
        if (event.kind === 'started' && event.resumed) process.stdout.write(`끝나지 않은 교체 ${event.rotationId}를 이어서 합니다.\n`);
      },
    });
    printReport(report, settings.masterKeyFile);
    return 0;
  } finally {
    await orm.close(true);
  }
}

function printReport(report: RotationReport, masterKeyFile: string): void {
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);
  const lines = [
    `마스터 키를 교체했습니다 (교체 번호 ${report.rotationId}).`,
    `  이전 키 지문 ${report.oldKeyFingerprint} → 새 키 지문 ${report.newKeyFingerprint}`,
    `  다시 감싼 키: ${Object.keys(report.rewrapped)
      .map((table) => `${TABLE_LABELS[table] ?? table} ${(report.rewrapped[table] ?? 0) + (report.alreadyNew[table] ?? 0)}건`)
      .join(', ')}` + (total(report.alreadyNew) > 0 ? ` (그중 ${total(report.alreadyNew)}건은 중단된 이전 실행에서)` : ''),
    `  녹취 파일 머리글: 새로 감쌈 ${report.files.rewrapped}건, 이미 새 키 ${report.files.already}건, 삭제된 녹취의 남은 파일 파기 ${report.files['deleted-remnant-destroyed']}건`,
    `  새 키로 확인한 키 ${report.verifiedKeys}건, 감사 기록 ${report.auditSeq ?? '-'}번`,
    `  키 파일: ${masterKeyFile}`,
    report.retiredKeyFile
      ? `  이전 키를 ${report.retiredKeyFile} 에 남겼습니다. 이 파일이 있는 한 이전 키로 감싼 옛 사본(교체 전 백업, 삭제된 녹취의 남은 조각)을 열 수 있습니다: 교체 전 백업과 함께 따로 보관하거나 곧 파기하십시오.`
      : '  이전 키는 지웠습니다. 교체 전에 만든 백업은 이제 열 수 없으니 지금 새로 백업하십시오 (npm run backup).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

runCommand(main, '마스터 키를 교체하지 못했습니다', {
  refusals: [KeyRotationError, MasterKeyError],
  explain: (error) =>
    error instanceof UsageError
      ? `${error.message}\n${USAGE}`
      : error instanceof KeyRotationError || error instanceof MasterKeyError
        ? undefined
        : `마스터 키를 교체하지 못했습니다: ${error instanceof Error ? error.message : String(error)}\n키 파일은 바뀌지 않았거나, 같은 명령을 다시 실행하면 교체를 마칩니다.`,
});
