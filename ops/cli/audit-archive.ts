/**
 * `npm run audit:archive`: archives the audit entries older than AUDIT_RETENTION_PERIOD now, as the nightly schedule
 * `audit-archive-daily` does (infra/audit/audit-archive.ts): sealed, signed segments under `<DATA_DIR>/audit-archive`,
 * then removed from the database. For an operator who wants it done at once — the first time, when a backlog of years
 * is due, or before a backup. Safe while the system runs (the schedule's run and this one take turns). Exit code 0
 * when done (also when nothing was due), 1 when refused (the chain does not verify: nothing archived), 2 when it could
 * not run.
 */
import os from 'node:os';
import { archiveAuditLog, AuditArchiveError, auditArchiveFolder } from '../../infra/audit/audit-archive';
import { initOrm } from '../../infra/db/orm';
import { loadAuditSigningKey } from '../../infra/keys';
import { loadSettingsOrExit } from '../../infra/settings';
import { formatKoreanDateTime } from '../../domain/korean-time';
import { describePeriodKo } from '../../domain/period';
import { runCommand } from './run-command';

async function main(): Promise<number> {
  if (process.argv.length > 2) {
    process.stderr.write('사용법: npm run audit:archive (인수 없음: AUDIT_RETENTION_PERIOD 보다 오래된 감사 기록을 보관합니다)\n');
    return process.argv.includes('--help') ? 0 : 2;
  }
  const settings = loadSettingsOrExit();
  const signingKey = loadAuditSigningKey(settings);
  const folder = auditArchiveFolder(settings.dataDir);
  const orm = await initOrm(settings);
  try {
    const result = await archiveAuditLog(orm, {
      folder,
      signingKey,
      period: settings.auditRetentionPeriod,
      timeZone: settings.timeZone,
      sourceAddress: os.hostname(),
      detail: { operatingSystemUser: os.userInfo().username },
      onSegment: (segment) => process.stdout.write(`  ${segment.file}: ${segment.firstSeq}–${segment.lastSeq}번 ${segment.count}건\n`),
    });
    const cutoff = formatKoreanDateTime(new Date(result.cutoff), settings.timeZone);
    const period = describePeriodKo(settings.auditRetentionPeriod);
    const entries = result.segments.reduce((sum, segment) => sum + segment.count, 0);
    process.stdout.write(
      result.segments.length === 0
        ? `보관할 감사 기록이 없습니다 (보관 기간 ${period}: ${cutoff} 이전의 기록이 대상)\n`
        : `감사 기록 ${entries}건을 ${result.segments.length}개 구간으로 보관했습니다 (보관 기간 ${period}: ${cutoff} 이전): ${folder}\n` +
            '  npm run audit:verify 로 보관 구간과 운영 중인 기록을 함께 검증할 수 있습니다.\n',
    );
    return 0;
  } finally {
    await orm.close(true);
  }
}

runCommand(main, '감사 기록을 보관하지 못했습니다', { refusals: [AuditArchiveError] });
