/**
 * `npm run audit:verify [-- --public-key <key.pem>]`: checks the whole audit chain of the configured database and
 * names the first entry that does not verify — archived entries included (issue 19): every checkpoint's signature and
 * its place in the chain, every sealed segment in `<DATA_DIR>/audit-archive` on its own and against its checkpoint,
 * and the live chain from the newest checkpoint on.
 * `npm run audit:verify -- <segment.jsonl> [--public-key <key.pem>]` checks one archived segment on its own, without
 * the database (a copy kept elsewhere, say).
 * The key is AUDIT_SIGNING_KEY_FILE's public half, or `--public-key` (its public key, PEM) where the private key is not.
 * Exit code 0 when intact, 1 when broken, 2 when it could not check.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { auditArchiveFolder, verifyAuditArchive, verifySegmentFile } from '../../infra/audit/audit-archive';
import { auditKeySha256, verifyAuditChain } from '../../infra/audit/audit-log';
import { initOrm } from '../../infra/db/orm';
import { readAuditSigningKey } from '../../infra/keys';
import { loadSettingsOrExit } from '../../infra/settings';
import { runCommand } from './run-command';

const USAGE = [
  '사용법: npm run audit:verify [-- --public-key <공개키.pem>]',
  '        npm run audit:verify -- <보관 구간 파일.jsonl> [--public-key <공개키.pem>]',
  '  키: --public-key 가 없으면 AUDIT_SIGNING_KEY_FILE 의 공개키로 서명을 확인합니다.',
  '  종료 코드: 0 정상, 1 변조 또는 손상, 2 검증하지 못함',
].join('\n');

function usage(message?: string): number {
  process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
  return 2;
}

/** The key to check signatures with: `--public-key` (a public or private key PEM), else the audit signing key's file. */
function verifyingKey(publicKeyFile: string | undefined, signingKeyFile: string): KeyObject | undefined {
  if (publicKeyFile) {
    let key: KeyObject | undefined;
    try {
      key = createPublicKey({ key: readFileSync(publicKeyFile, 'utf8'), format: 'pem' });
    } catch {
      // Named below; OpenSSL's message may quote the file.
    }
    if (key?.asymmetricKeyType !== 'ed25519') throw new Error(`Ed25519 공개키(PEM) 파일이 아닙니다: ${publicKeyFile}`);
    return key;
  }
  return existsSync(signingKeyFile) ? readAuditSigningKey(signingKeyFile) : undefined;
}

async function main(): Promise<number> {
  let parsed: { values: { 'public-key'?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { 'public-key': { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1) return usage();
  const settings = loadSettingsOrExit();
  const key = verifyingKey(parsed.values['public-key'], settings.auditSigningKeyFile);
  const segment = parsed.positionals[0];
  if (segment !== undefined) return verifyOneSegment(segment, key);

  const orm = await initOrm(settings);
  try {
    const chain = await verifyAuditChain(orm.em, { checkpointKey: key });
    const folder = auditArchiveFolder(settings.dataDir);
    const archive = await verifyAuditArchive(orm.em, folder, key);
    const lines: string[] = [];
    if (chain.ok) {
      lines.push(`감사 기록 무결성 확인: ${chain.entries}건 모두 정상 (마지막 해시 ${chain.lastHash})`);
      if (chain.archived) {
        lines.push(
          `  보관: ${chain.archived.checkpoints}개 구간 ${chain.archived.entries}건 (1–${chain.archived.entries}번, ${folder}), 서명 확인 (감사 기록 서명 키 지문 ${auditKeySha256(key as KeyObject)})`,
          `  운영 중: ${chain.entries - chain.archived.entries}건 (${chain.archived.entries + 1}–${chain.entries}번)`,
        );
      }
    } else {
      lines.push(`감사 기록 변조 또는 손상 발견: ${chain.brokenAt}번째 기록부터 검증 실패 — ${chain.problem}`, `(그 앞의 ${chain.entries}건은 정상)`);
    }
    if (archive.problems.length > 0) {
      lines.push(`보관 구간 변조 또는 손상 발견 (${folder}):`, ...archive.problems.map(({ file, problem }) => `  ${file}: ${problem}`));
    }
    if (archive.unreferenced.length > 0) {
      lines.push(
        `참고: 체크포인트가 없는 구간 파일 ${archive.unreferenced.length}개 — 끝나지 않은 보관 실행이 남긴 것으로, 그 기록은 아직 운영 중이며 다음 보관 때 정리됩니다:`,
        ...archive.unreferenced.map((name) => `  ${name}`),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return chain.ok && archive.ok ? 0 : 1;
  } finally {
    await orm.close(true);
  }
}

function verifyOneSegment(file: string, key: KeyObject | undefined): number {
  if (!key) return usage('서명을 확인할 키가 없습니다: --public-key 를 주거나 AUDIT_SIGNING_KEY_FILE 을 설정하십시오.');
  if (!existsSync(file)) return usage(`파일이 없습니다: ${file}`);
  const { header, problems } = verifySegmentFile(file, key);
  const name = path.basename(file);
  if (problems.length === 0 && header) {
    process.stdout.write(
      `보관 구간 확인: ${name} 정상 — ${header.firstSeq}–${header.lastSeq}번 ${header.count}건 (${header.firstAt} ~ ${header.lastAt}), ` +
        `마지막 해시 ${header.lastHash}, 서명 확인 (감사 기록 서명 키 지문 ${header.keySha256})\n`,
    );
    return 0;
  }
  process.stdout.write(`보관 구간 변조 또는 손상 발견: ${name}\n${problems.map((problem) => `  ${problem}`).join('\n')}\n`);
  return 1;
}

runCommand(main, '감사 기록을 검증하지 못했습니다');
