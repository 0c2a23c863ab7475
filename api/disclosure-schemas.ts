/**
 * 녹취정보 열람·제공 (Art. 9): what the API accepts and answers for a case — Form 1 and every step's body, the
 * request's views, the attachment purposes. Apart from the handlers so that the pages' form conversion
 * (disclosure-forms.ts), the pages and the route table share one definition without loading the handlers.
 */
import { z } from 'zod';
import { DESTRUCTION_METHODS, DISCLOSURE_GROUNDS, DISCLOSURE_KINDS } from '../domain/disclosure';
import { attachmentView } from './attachments';
import { processStepsView } from './process-views';
import { SIGNATURE_MAX_DATA_URL } from './signature';

export const ATTACHMENT_PURPOSES = ['ground_document', 'signed_handover_receipt', 'destruction_report', 'other'] as const;
export type AttachmentPurpose = (typeof ATTACHMENT_PURPOSES)[number];
export const PURPOSE_LABELS: Record<AttachmentPurpose | 'provision_package' | 'recipient_signature', string> = {
  ground_document: '근거 서류 (제9조제1항)',
  signed_handover_receipt: '서명된 인수·인계증',
  destruction_report: '회신받은 파기 결과 회신서',
  other: '기타',
  provision_package: '제공 파일 (암호 ZIP)',
  recipient_signature: '인수자 화면 서명',
};
export const PACKAGE = 'provision_package';
export const SIGNATURE = 'recipient_signature';
export const TARGET = 'disclosure_request';

const text = (label: string, max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min, { message: `${label}을(를) 적으십시오` })
    .max(max, { message: `${label}이(가) 너무 깁니다 (${max}자까지)` });
const instant = (label: string) => z.iso.datetime({ offset: true, message: `${label}은(는) 2026-11-27T14:00:00+09:00 형식입니다` });
const MAX_WINDOW_MS = 31 * 86_400_000;

/** The call's time window, in order and at most a month, wherever an applicant gives one. */
const withRecordingWindow = <T extends z.ZodType<{ recordingFrom: string; recordingTo: string }>>(schema: T) =>
  schema
    .refine((body) => Date.parse(body.recordingTo) > Date.parse(body.recordingFrom), { message: '녹취 일시의 끝이 시작보다 앞섭니다', path: ['recordingTo'] })
    .refine((body) => Date.parse(body.recordingTo) - Date.parse(body.recordingFrom) <= MAX_WINDOW_MS, {
      message: '녹취 일시는 31일 안의 범위로 적습니다',
      path: ['recordingTo'],
    });
const pick = <T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((key) => [key, from[key]])) as Pick<T, K>;
const registrationFields = {
  kind: z.enum(DISCLOSURE_KINDS, { message: '열람 또는 제공을 고르십시오' }),
  applicantName: text('신청인 성명(기관·단체명)', 100),
  applicantBirthDateOrBusinessNumber: z
    .string()
    .trim()
    .regex(/^(\d{4}-\d{2}-\d{2}|\d{3}-\d{2}-\d{5})$/, { message: '생년월일(1980-01-01) 또는 사업자등록번호(123-45-67890)를 적으십시오' }),
  applicantAddress: text('주소(소속)', 300),
  applicantContact: z
    .string()
    .trim()
    .regex(/^[0-9+() -]{7,20}$/, { message: '연락처는 숫자와 - 로 적습니다' }),
  applicantEmail: z.email({ message: '전자우편 주소가 올바르지 않습니다' }).max(254).nullable().default(null),
  recordingFrom: instant('녹취 일시(부터)'),
  recordingTo: instant('녹취 일시(까지)'),
  phoneNumber: z
    .string()
    .trim()
    .regex(/^[0-9-]{3,20}$/, { message: '전화번호는 숫자와 - 로 적습니다' }),
  purpose: text('열람·제공 목적', 500),
  relationToParty: text('당사자와의 관계', 200),
  reason: text('신청 사유', 2000, 5),
  ground: z.enum(DISCLOSURE_GROUNDS, { message: '근거를 고르십시오 (당사자 또는 다른 법령)' }),
  groundDetail: z.string().trim().max(1000).nullable().default(null).describe('당사자 확인 방법, 또는 근거 법령과 조항'),
  receivedAt: instant('접수 일시').optional().describe('신청서를 받은 때 (없으면 지금)'),
};
export const registrationBody = withRecordingWindow(z.object(registrationFields).strict());
export type RegistrationBody = z.output<typeof registrationBody>;

/**
 * A party official's own request (Art. 9(1): the party), filed logged in: who they are comes from the directory and
 * the login proves it; they say which of their own extensions and when. The managing department then handles it as
 * any other request.
 */
export const ownRequestBody = withRecordingWindow(
  z
    .object({
      ...pick(registrationFields, ['kind', 'applicantContact', 'applicantEmail', 'recordingFrom', 'recordingTo', 'purpose', 'reason']),
      applicantBirthDate: z
        .string()
        .trim()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { message: '생년월일을 1980-01-01 형식으로 적으십시오' }),
      extension: z
        .string()
        .trim()
        .regex(/^[0-9-]{3,20}$/, { message: '내선 번호를 고르십시오' }),
    })
    .strict(),
);
export type OwnRequestBody = z.output<typeof ownRequestBody>;

export const requestIdParams = z.object({ id: z.uuid({ message: '신청 번호가 올바르지 않습니다' }) }).strict();
export const confirmBody = z
  .object({
    recordingIds: z
      .array(z.uuid())
      .max(50, { message: '한 신청에 50건까지입니다' })
      .refine((ids) => new Set(ids).size === ids.length, { message: '같은 녹취를 두 번 골랐습니다' }),
  })
  .strict();
export const disclosureSignOffBody = z
  .object({ decision: z.enum(['approve', 'reject'], { message: '승인 또는 반려를 고르십시오' }), comment: z.string().trim().max(1000).default('') })
  .strict()
  .refine((body) => body.decision === 'approve' || body.comment.length >= 2, { message: '반려 사유를 적으십시오', path: ['comment'] });
export const withdrawBody = z.object({ reason: text('철회 사유', 1000, 2) }).strict();
const recipient = { recipientName: text('인수자 성명', 100), receivedAt: instant('수령 일시') };
/** Form 2 signed on paper (its scan already attached) or on screen (the drawn signature, placed on Form 2). */
export const handoverBody = z.discriminatedUnion(
  'signatureKind',
  [
    z.object({ signatureKind: z.literal('paper_scan'), attachmentId: z.uuid({ message: '서명된 인수·인계증 첨부파일을 고르십시오' }), ...recipient }).strict(),
    z
      .object({
        signatureKind: z.literal('on_screen'),
        signature: z.string().max(SIGNATURE_MAX_DATA_URL, { message: '서명 이미지가 너무 큽니다' }).describe('화면 서명 (data:image/png;base64,…, 8비트 RGBA)'),
        ...recipient,
      })
      .strict(),
  ],
  { error: () => '서명 방식(on_screen 화면 서명, paper_scan 종이 서명 스캔)을 고르십시오' },
);
export const destructionReportBody = z
  .object({
    attachmentId: z.uuid({ message: '회신받은 파기 결과 회신서 첨부파일을 고르십시오' }),
    destroyedAt: instant('파기 일시'),
    method: z.enum(DESTRUCTION_METHODS, { message: '파기 방법을 고르십시오' }),
    methodDetail: z.string().trim().max(500).optional(),
    allCopiesDestroyed: z.boolean({ message: '사본 전부를 파기했는지 고르십시오' }),
    witness: z.string().trim().max(100).optional(),
  })
  .strict();
export const attachmentFields = z.object({ purpose: z.enum(ATTACHMENT_PURPOSES, { message: '첨부 종류를 고르십시오' }) }).strict();

export const requestView = z.object({
  id: z.string(),
  managementNumber: z.string(),
  kind: z.enum(DISCLOSURE_KINDS),
  status: z
    .string()
    .describe(
      'registered 접수, in_sign_off 결재 중, awaiting_handover 인수·인계 대기, released 열람·제공 중, awaiting_destruction_report 파기 회신 대기, closed 종결, rejected 거부, withdrawn 철회',
    ),
  applicantName: z.string(),
  receivedAt: z.string(),
  recordingFrom: z.string().nullable(),
  recordingTo: z.string().nullable(),
  phoneNumber: z.string(),
  ground: z.enum(DISCLOSURE_GROUNDS),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
});
export type RequestView = z.infer<typeof requestView>;

export const recordingLine = z.object({
  id: z.string(),
  startedAt: z.string(),
  extension: z.string(),
  otherPartyNumber: z.string().nullable(),
  durationMs: z.number().nullable(),
  deletedAt: z.string().nullable().describe('이미 삭제된 녹취는 삭제 일시'),
  confirmed: z.boolean(),
});

export const requestDetail = requestView.extend({
  applicantBirthDateOrBusinessNumber: z.string(),
  applicantAddress: z.string(),
  applicantContact: z.string(),
  applicantEmail: z.string().nullable(),
  purpose: z.string(),
  relationToParty: z.string(),
  reason: z.string(),
  groundDetail: z.string().nullable(),
  recordings: z.array(recordingLine),
  attachments: z.array(attachmentView.extend({ purpose: z.string() })),
  documents: z.array(z.object({ id: z.string(), kind: z.string(), purpose: z.string(), sha256: z.string(), createdAt: z.string() })),
  workflow: z
    .object({
      state: z.string(),
      awaiting: z.string().nullable(),
      signOffs: z.array(z.object({ role: z.string(), actor: z.string(), decision: z.string(), comment: z.string(), at: z.string() })),
      readinessProblems: z.array(z.string()),
      refusedRecordings: z.array(z.object({ recordingId: z.string(), reason: z.string() })),
      viewingUntil: z.string().nullable(),
      destructionReport: z.object({ lastDay: z.string(), dueAt: z.string() }).nullable(),
      refusals: z.array(z.object({ action: z.string(), actor: z.string(), reason: z.string(), at: z.string() })),
      process: processStepsView,
    })
    .nullable(),
  history: z.array(z.object({ at: z.string(), action: z.string(), actor: z.string(), role: z.string(), reason: z.string() })),
});
export type RequestDetail = z.infer<typeof requestDetail>;
