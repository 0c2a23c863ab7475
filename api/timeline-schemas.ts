/**
 * 처리 경위 (a case's timeline): the shape the API answers — its items, their references and the releases an audit
 * asks about first. Apart from the reading (timeline.ts) and the history parsing (timeline-items.ts) so that both,
 * the pages and the tests share one definition with no import cycle.
 */
import { z } from 'zod';

export const CASE_TYPES = ['disclosure_request', 'full_recording_application'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

/** What left the managing department's hands at a step: the moments an audit of Art. 9 asks about first. */
export const RELEASES = [
  'audio_played',
  'package_built',
  'package_provided',
  'package_downloaded',
  'handover_signed',
  'document_downloaded',
  'attachment_downloaded',
] as const;
export type Release = (typeof RELEASES)[number];

const REF_KINDS = ['document', 'attachment', 'recording', 'package', 'history'] as const;
export type RefKind = (typeof REF_KINDS)[number];
const timelineRef = z.object({
  kind: z.enum(REF_KINDS),
  id: z.string().nullable(),
  sha256: z.string().nullable(),
  name: z.string().nullable().describe('문서의 용도나 파일 이름'),
});
export type TimelineRef = z.infer<typeof timelineRef>;

export const timelineItem = z.object({
  at: z.string().describe('일시 (ISO 8601, UTC)'),
  source: z.enum(['audit', 'workflow']).describe('감사 기록 또는 업무 흐름(Temporal) 이력'),
  event: z.string().describe('감사 기록의 action, 또는 업무 흐름 이벤트 (signal:<이름>, activity:<이름>, timer, child:<유형>, workflow:<결과>)'),
  label: z.string().describe('처리 (한국어)'),
  actor: z.string().nullable(),
  role: z.string().nullable(),
  sourceAddress: z.string().nullable(),
  reason: z.string().nullable(),
  note: z.string().nullable().describe('결재 결정, 의견, 결과 등 덧붙은 사실'),
  refs: z.array(timelineRef),
  released: z.enum(RELEASES).nullable(),
  auditSeq: z.number().int().nullable(),
  workflowId: z.string().nullable(),
  eventId: z.number().int().nullable(),
});
export type TimelineItem = z.infer<typeof timelineItem>;

export const caseTimeline = z.object({
  caseType: z.enum(CASE_TYPES),
  caseId: z.string(),
  caseNumber: z.string().describe('관리번호 (열람·제공) 또는 신청 표시 (전수 녹취)'),
  title: z.string(),
  status: z.string(),
  generatedAt: z.string(),
  chain: z
    .object({
      ok: z.boolean(),
      entries: z.number().int(),
      problems: z.array(z.string()),
      lastSeq: z.number().int().describe('연쇄 머리의 마지막 번호'),
      summary: z.string(),
    })
    .describe('이 사건의 감사 기록 검증: 기록마다 해시, 앞 기록과의 연결'),
  workflows: z.array(
    z.object({
      workflowId: z.string(),
      runId: z.string().nullable(),
      workflowType: z.string(),
      source: z.enum(['temporal', 'archive']),
      events: z.number().int(),
      archiveSha256: z.string().nullable(),
    }),
  ),
  workflowProblems: z.array(z.string()),
  documents: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      purpose: z.string(),
      sha256: z.string(),
      sizeBytes: z.number().int(),
      createdAt: z.string(),
      createdBy: z.string(),
    }),
  ),
  attachments: z.array(
    z.object({
      id: z.string(),
      purpose: z.string(),
      fileName: z.string(),
      sha256: z.string(),
      sizeBytes: z.number().int(),
      createdAt: z.string(),
      uploadedBy: z.string(),
    }),
  ),
  items: z.array(timelineItem),
});
export type CaseTimeline = z.infer<typeof caseTimeline>;

export const timelineParams = z.object({ caseType: z.enum(CASE_TYPES), id: z.uuid({ message: '사건 번호가 올바르지 않습니다' }) }).strict();
