/**
 * `npm run rotate-grant-key`: a new grant signing key pair (ops/grant-key-rotation.ts). Run on the API's and worker's
 * host; then put the printed public key on the appliance's host (if it is not this one), restart the appliance, then
 * the API and the worker. Exit code 0 when done, 1 with the reason when it could not be done.
 */
import { userInfo } from 'node:os';
import { initOrm } from '../../infra/db/orm';
import { loadSettingsOrExit } from '../../infra/settings';
import { rotateGrantKey } from '../grant-key-rotation';
import { runCommand } from './run-command';

async function main(): Promise<number> {
  const settings = loadSettingsOrExit();
  const orm = await initOrm(settings);
  try {
    const rotation = await rotateGrantKey(orm, settings, `cli:${userInfo().username}`);
    const lines = [
      '허가 서명 키를 교체했습니다.',
      `  이전 키 지문 ${rotation.oldKey.sha256} → 새 키 지문 ${rotation.newKey.sha256}`,
      `  새 개인키: ${settings.grantSigningKeyFile} (이전 키는 ${rotation.retiredKeyFile} 에 남겼습니다: 교체를 마친 뒤 파기하십시오)`,
      rotation.publicKeyWritten
        ? `  새 공개키: ${settings.grantPublicKeyFile}`
        : `  이 호스트에는 공개키 파일(${settings.grantPublicKeyFile})이 없습니다. 아래 공개키를 녹취 장치 호스트의 GRANT_PUBLIC_KEY_FILE 에 넣으십시오:\n${rotation.newKey.pem}`,
      '  녹취 장치를 다시 시작한 뒤 API와 워커를 다시 시작하십시오. 그 사이의 재생·내보내기는 GRANT_SIGNATURE_INVALID 로 거부되고, 다시 시도하면 됩니다.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCommand(main, '허가 서명 키를 교체하지 못했습니다', { exitCode: 1 });
