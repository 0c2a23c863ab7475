/**
 * 처리 경위: the Korean words a timeline shows for workflow signals, steps, activities, workflows and how a run
 * ended, and which steps are releases. Tables only, apart so that a new step's wording is changed in one place
 * without reading the parsing.
 */
import { type Release } from './timeline-schemas';

/** Audit actions in Korean; an action not listed is shown as it is, so a new one is never hidden. */

export const RELEASED_BY_ACTION: Record<string, Release> = {
  'disclosure.recording_played': 'audio_played',
  'disclosure.package_built': 'package_built',
  'disclosure.package_provided': 'package_provided',
  'disclosure.package_downloaded': 'package_downloaded',
  'disclosure.handover_signed': 'handover_signed',
  'disclosure.document_downloaded': 'document_downloaded',
  'full_recording.document': 'document_downloaded',
  'attachment.downloaded': 'attachment_downloaded',
};

export const SIGNAL_LABELS: Record<string, string> = {
  disclosureConfirmRecordings: '녹취 확인 요청 받음',
  disclosureSubmit: '결재 상신 받음',
  disclosureSignOff: '결재 받음',
  disclosureWithdraw: '철회 받음',
  disclosureHandoverSigned: '인수·인계증 서명 기록 받음',
  disclosurePackageProvided: '제공 파일 전달 기록 받음',
  disclosureDestructionReported: '파기 결과 회신 기록 받음',
  fullRecordingSignOff: '검토·승인 받음',
  fullRecordingRevoke: '철회·취소 받음',
  fullRecordingRenew: '연장 받음',
  deadlineMet: '회신 기한 충족 알림 받음',
};

/** A step sent as an Update (`disclosureStep`, `fullRecordingStep`) is labelled as the signal that carried it before. */
export const STEP_OF_UPDATE: Record<string, Record<string, string>> = {
  disclosureStep: {
    confirm_recordings: 'disclosureConfirmRecordings',
    submit: 'disclosureSubmit',
    sign_off: 'disclosureSignOff',
    withdraw: 'disclosureWithdraw',
    handover_signed: 'disclosureHandoverSigned',
    package_provided: 'disclosurePackageProvided',
    destruction_reported: 'disclosureDestructionReported',
  },
  fullRecordingStep: { sign_off: 'fullRecordingSignOff', revoke: 'fullRecordingRevoke', renew: 'fullRecordingRenew' },
};

export const RELEASED_BY_SIGNAL: Record<string, Release> = {
  disclosureHandoverSigned: 'handover_signed',
  disclosurePackageProvided: 'package_provided',
};

export const ACTIVITY_LABELS: Record<string, string> = {
  recordDisclosureStep: '단계 기록',
  recordFullRecordingStep: '단계 기록',
  confirmDisclosureRecordings: '녹취 확인과 보존 중지',
  checkDisclosureReadiness: '상신 요건 확인',
  planWorkingDayReminder: '결재 알림 시각 계산',
  prepareHandover: '인수·인계증 작성',
  prepareRejectionNotice: '거부 통지서 작성',
  recordHandoverSigned: '인수·인계증 서명 기록',
  writeLedgerEntry: '관리대장 기재',
  planLegalDeadline: '법정 기한 계산',
  openDestructionReport: '파기 결과 회신 기한 설정',
  recordDestructionReport: '파기 결과 회신 기록',
  prepareDeadlineDocument: '회신 요청 공문 작성',
  queueNotification: '알림 대기열 등록',
  deliverNotification: '알림 발송',
  switchExtensions: '녹취 장치 방식 전환',
};

export const WORKFLOW_LABELS: Record<string, string> = {
  disclosureWorkflow: '녹취정보 열람·제공',
  deadlineRemindersWorkflow: '파기 결과 회신 기한 알림',
  fullRecordingWorkflow: '전수 녹취 신청',
};

/** How a run ended: the event's attribute field, its code in `event`, and its Korean word. */
export const CLOSES = [
  ['workflowExecutionCompletedEventAttributes', 'completed', '완료'],
  ['workflowExecutionFailedEventAttributes', 'failed', '실패'],
  ['workflowExecutionTerminatedEventAttributes', 'terminated', '강제 종료'],
  ['workflowExecutionCanceledEventAttributes', 'canceled', '취소'],
  ['workflowExecutionTimedOutEventAttributes', 'timed_out', '시간 초과'],
  ['workflowExecutionContinuedAsNewEventAttributes', 'continued_as_new', '새 실행으로 이어짐'],
] as const;

/** Facts from an audit entry's detail worth a line of their own (never personal data: the log holds none). */
export const NOTE_KEYS: Record<string, string> = {
  decision: '결정',
  comment: '의견',
  refusedAction: '거부된 처리',
  signatureKind: '서명 방식',
  recipientName: '인수자',
  kind: '구분',
  ground: '근거',
  closeStatus: '종료 상태',
  workflowType: '업무 흐름',
  format: '형식',
  ok: '검증 결과',
  problems: '문제',
  count: '건수',
  code: '코드',
  state: '상태',
  purpose: '용도',
};

/** `2일 11시간 57분`: how long a timer waited. */
export function koreanDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [days ? `${days}일` : '', hours ? `${hours}시간` : '', minutes % 60 || minutes === 0 ? `${minutes % 60}분` : ''];
  return parts.filter(Boolean).join(' ');
}
