/**
 * `npm run verify -- <package.zip> --public-key <key.pem> [--password-file <file>] [--json]`: checks a provision
 * package (capture/disclosure-package.ts) as capture/package-verify.ts does and says so in Korean.
 *
 * The password comes from `--password-file` (its first line) or the PACKAGE_PASSWORD environment variable, never
 * from an argument: arguments are visible to every user of the machine in the process list.
 * Exit code 0 when verified, 1 when not (wrong password included), 2 when it could not check (usage, unreadable file,
 * a key that is not an Ed25519 public key).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatKoreanDateTime } from '../../domain/korean-time';
import { PackageKeyError, verifyPackageFile, type FileStatus, type PackageVerification } from '../../capture/package-verify';

const USAGE = [
  '사용법: npm run verify -- <패키지.zip> --public-key <공개키.pem> [--password-file <비밀번호 파일>] [--json]',
  '  비밀번호는 --password-file 의 첫 줄이나 PACKAGE_PASSWORD 환경변수로 줍니다 (명령줄 인수로는 받지 않습니다).',
  '  종료 코드: 0 검증됨, 1 검증 실패, 2 검증하지 못함 (사용법·파일 오류)',
].join('\n');

class UsageError extends Error {}

const STATUS_LABELS: Record<FileStatus, string> = {
  ok: '정상',
  mismatch: '변조',
  missing: '없음',
  unexpected: '목록 밖',
  unreadable: '열 수 없음',
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'public-key': { type: 'string' },
        'password-file': { type: 'string' },
        password: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.password !== undefined) {
    throw new UsageError(
      '비밀번호를 명령줄 인수로 주지 마십시오: 같은 컴퓨터의 다른 사용자가 프로세스 목록에서 볼 수 있습니다. --password-file 이나 PACKAGE_PASSWORD 를 쓰십시오.',
    );
  }
  if (positionals.length !== 1) throw new UsageError('검증할 패키지 파일 하나를 주십시오.');
  if (!values['public-key']) throw new UsageError('--public-key 로 시(市)가 공개한 서명 공개키(PEM) 파일을 주십시오.');
  const password =
    values['password-file'] !== undefined
      ? (readInput(values['password-file'], '비밀번호 파일').toString('utf8').split(/\r?\n/)[0] ?? '')
      : process.env.PACKAGE_PASSWORD;
  if (!password) throw new UsageError('비밀번호가 없습니다: --password-file 이나 PACKAGE_PASSWORD 를 쓰십시오.');

  const packageFile = positionals[0] as string;
  const publicKey = readInput(values['public-key'], '공개키 파일');
  // Read by ranges, never whole: only the key and an unopenable file are thrown, every finding is in the result.
  const result = await verifyPackageFile(inputPath(packageFile), password, publicKey).catch((error: unknown) => {
    throw error instanceof PackageKeyError ? error : unreadable(packageFile, '패키지 파일', error);
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : report(packageFile, result));
  return result.ok ? 0 : 1;
}

/** Relative paths are the user's: `npm run` itself runs in the project folder and keeps the user's in INIT_CWD. */
function inputPath(file: string): string {
  const base = process.env.npm_lifecycle_event === 'verify' ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd();
  return path.resolve(base, file);
}

function unreadable(file: string, what: string, error: unknown): UsageError {
  return new UsageError(`${what}을(를) 읽을 수 없습니다: ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
}

function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(inputPath(file));
  } catch (error) {
    throw unreadable(file, what, error);
  }
}

function report(file: string, result: PackageVerification): string {
  const lines = [`제공 패키지 검증: ${file}`];
  const { manifest } = result;
  if (manifest) {
    const issuer = [manifest.issuer.municipality, manifest.issuer.system].filter(Boolean).join(' ');
    lines.push(`관리번호 ${manifest.managementNumber} · 만든 때 ${formatKoreanDateTime(new Date(manifest.createdAt), manifest.timeZone)} · ${issuer}`);
  }
  lines.push(`공개키 지문 (SHA-256): ${result.publicKeySha256}`);
  lines.push(`서명: ${result.signatureValid ? '정상' : '확인되지 않음'}`);
  for (const entry of result.files) lines.push(`  [${STATUS_LABELS[entry.status]}] ${entry.name}${entry.sha256 ? `  ${entry.sha256}` : ''}`);
  if (result.ok) {
    lines.push(`결과: 검증됨 — 서명이 맞고, 목록의 파일 ${result.files.length}개가 모두 그대로입니다.`);
  } else {
    lines.push(`결과: 검증 실패 — 문제 ${result.problems.length}건`);
    for (const problem of result.problems) lines.push(`  - ${problem.message}`);
  }
  return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof PackageKeyError;
    process.stderr.write(`${known ? error.message : `패키지를 검증하지 못했습니다: ${error instanceof Error ? error.message : String(error)}`}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  },
);
