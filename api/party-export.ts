/**
 * The party's own export (issue 6, R5, Art. 8(1) proviso): the official at whose extension a call was recorded may,
 * within the retention period, save it for work — only as the AES-256 encrypted ZIP the capture appliance seals
 * under a password the official types here. The API decides who may and why (the route's party-only rule, the
 * password's strength, the reason) and audits it; the audio is decrypted and sealed inside the appliance, so what
 * passes through the API is ciphertext. Nobody else's calls come this way: Art. 9 disclosure is another procedure.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import { CaptureControlError, type CaptureControlClient } from '../capture/control-client';
import { partyExportName } from '../capture/party-export';
import { Recording } from '../infra/db/entities';
import type { Principal } from './access';
import { audioGrant } from './audio-grants';
import { ApiError, notFound } from './errors';
import type { RouteCall } from './routes';

/** What the export needs of the system. */
export interface PartyExportDeps {
  capture: CaptureControlClient;
  grantSigningKey: KeyObject;
  timeZone: string;
  exportPasswordMinLength: number;
}

const PASSWORD_MAX = 128;

export const partyExportBody = z
  .object({
    password: z
      .string({ message: '비밀번호를 입력하십시오' })
      .max(PASSWORD_MAX, { message: `비밀번호는 ${PASSWORD_MAX}자까지입니다` })
      // Archivers encode other characters differently: a Korean password might not open the file elsewhere.
      .regex(/^[\x20-\x7e]*$/, {
        message: '비밀번호는 영문 대소문자, 숫자, 기호만 쓸 수 있습니다 (한글은 압축 프로그램마다 달리 처리되어 파일이 열리지 않을 수 있습니다)',
      })
      .describe('ZIP을 여는 비밀번호 (저장되지 않음)'),
    reason: z
      .string({ message: '내보내는 사유를 적으십시오' })
      .trim()
      .min(1, { message: '내보내는 사유를 적으십시오' })
      .max(500, { message: '사유는 500자까지 적습니다' })
      .describe('업무상 보관이 필요한 사유 (감사 기록에 남음)'),
  })
  .strict();
export type PartyExportRequest = z.output<typeof partyExportBody>;

/** The page form: read as typed, so a mistake is shown on the form rather than on an error page. */
export const partyExportForm = z.object({
  password: z.string().max(1024).default(''),
  passwordConfirm: z.string().max(1024).default(''),
  reason: z.string().max(4096).default(''),
});

const CHARACTER_CLASSES: readonly { pattern: RegExp; label: string }[] = [
  { pattern: /[a-z]/, label: '영문 소문자' },
  { pattern: /[A-Z]/, label: '영문 대문자' },
  { pattern: /[0-9]/, label: '숫자' },
  { pattern: /[^A-Za-z0-9]/, label: '기호' },
];

/** The Korean reason a password is too weak for an export, or undefined when it is strong enough. */
export function weakPasswordReason(password: string, username: string, minLength: number): string | undefined {
  if (password.length < minLength) return `비밀번호는 ${minLength}자 이상이어야 합니다.`;
  const classes = CHARACTER_CLASSES.filter(({ pattern }) => pattern.test(password)).length;
  if (classes < 3) return `비밀번호에는 ${CHARACTER_CLASSES.map(({ label }) => label).join(', ')} 중 세 가지 이상을 섞어 쓰십시오.`;
  // A one- or two-letter name would refuse half of all passwords while protecting nothing.
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return '비밀번호에 사용자 이름을 넣을 수 없습니다.';
  return undefined;
}

export interface SealedExport {
  fileName: string;
  zip: Buffer;
}

/**
 * Checks, has the appliance seal, and audits one export. Throws ApiError for every refusal, having changed
 * nothing; the audit entry is committed before the caller sends a byte.
 */
export async function exportOwnRecording(
  deps: PartyExportDeps,
  call: RouteCall<{ id: string }, unknown, unknown>,
  request: PartyExportRequest,
): Promise<SealedExport> {
  const principal = call.principal as Principal;
  const weak = weakPasswordReason(request.password, principal.username, deps.exportPasswordMinLength);
  if (weak) throw new ApiError(400, 'WEAK_PASSWORD', weak);
  const recording = await call.em.findOne(Recording, call.params.id, { populate: ['extension'] });
  if (!recording) throw notFound();
  if (recording.deletedAt) throw recordingDeleted();
  if (recording.retentionDueAt <= new Date()) {
    throw new ApiError(410, 'RETENTION_ENDED', '보존기간이 지난 녹취는 내보낼 수 없습니다. 필요하면 운영 규정 제9조의 열람·제공 신청을 하십시오.');
  }
  let zip: Buffer;
  try {
    // Signed only now, for this recording and this official: the checks above are what it vouches for.
    const grant = audioGrant(deps.grantSigningKey, {
      kind: 'party-export',
      recordings: [recording.id],
      case: { type: 'party-export', id: recording.id },
      subject: principal.username,
    });
    zip = await deps.capture.exportRecording(recording.id, request.password, grant);
  } catch (error) {
    if (!(error instanceof CaptureControlError)) throw error;
    if (error.code === 'DELETED') throw recordingDeleted();
    if (error.code === 'NOT_FOUND') throw notFound();
    throw new ApiError(503, 'CAPTURE_UNAVAILABLE', '녹취 장치가 응답하지 않아 내보내지 못했습니다. 잠시 뒤 다시 시도하고, 계속되면 관리부서에 문의하십시오.', {
      capture: error.code,
    });
  }
  const fileName = `${partyExportName(recording.startedAt, recording.extension.number, deps.timeZone)}.zip`;
  await call.audit({
    action: 'recording.exported_by_party',
    targetType: 'recording',
    targetId: recording.id,
    reason: request.reason,
    // The ZIP's hash names the exact copy handed out, should one turn up later (Art. 10).
    detail: {
      fileName,
      zipBytes: zip.length,
      zipSha256: createHash('sha256').update(zip).digest('hex'),
      audioSha256: recording.sha256 ?? null,
      extension: recording.extension.number,
    },
  });
  return { fileName, zip };
}

function recordingDeleted(): ApiError {
  return new ApiError(410, 'RECORDING_DELETED', '보존기간이 끝나 삭제된 녹취입니다. 삭제된 녹취는 누구도 내보낼 수 없습니다.');
}

export function sendExport(res: Response, sealed: SealedExport): void {
  res
    .status(200)
    .set({
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${sealed.fileName}"`,
      'Cache-Control': 'no-store',
    })
    .send(sealed.zip);
}
