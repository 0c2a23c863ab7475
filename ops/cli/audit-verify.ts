/**
 * `npm run audit:verify`: checks the whole audit chain of the configured database and names the first
 * entry that does not verify. Exit code 0 when intact, 1 when broken, 2 when it could not check.
 */
import { verifyAuditChain } from '../../infra/audit/audit-log';
import { initOrm } from '../../infra/db/orm';
import { loadSettings } from '../../infra/settings';
import { runCommand } from './run-command';

async function main(): Promise<number> {
  const orm = await initOrm(loadSettings());
  try {
    const result = await verifyAuditChain(orm.em);
    if (result.ok) {
      process.stdout.write(`감사 기록 무결성 확인: ${result.entries}건 모두 정상 (마지막 해시 ${result.lastHash})\n`);
      return 0;
    }
    process.stdout.write(
      `감사 기록 변조 또는 손상 발견: ${result.brokenAt}번째 기록부터 검증 실패 — ${result.problem}\n` + `(그 앞의 ${result.entries}건은 정상)\n`,
    );
    return 1;
  } finally {
    await orm.close(true);
  }
}

runCommand(main, '감사 기록을 검증하지 못했습니다');
