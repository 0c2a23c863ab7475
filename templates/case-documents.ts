/**
 * From the case as the database holds it to the fields of its documents: Form 1 from the request,
 * Form 2 from the handover receipt and the confirmed recordings, Form 3 from the destruction report.
 * Dates are written the Korean way in the city's time zone; nothing here reads or writes anything.
 */
import type { DestructionReport, DisclosureRequest, HandoverReceipt, Recording } from '../infra/db/entities';
import { DISCLOSURE_KIND_LABELS } from '../domain/disclosure';
import { formatKoreanDateTime, formatKoreanLongDate } from '../domain/korean-time';
import {
  BLANK_DATE,
  FORM3_PROVISIONAL_MARK,
  mark,
  municipality,
  type Form1Fields,
  type Form2Fields,
  type Form3Fields,
  type SignatureImageField,
  type DisclosureRejectionNoticeFields,
  type DestructionReportEscalationFields,
  type DestructionReportReminderFields,
} from './documents';

export interface DocumentContext {
  municipalityName: string;
  timeZone: string;
  /** The Form 3 period as the rules say it, e.g. `30일`. */
  reportPeriod: string;
}

/** The official who hands the copy over (인계자), from the directory. */
export interface HandingOverOfficial {
  unit: string;
  rank: string;
  name: string;
}

const longDate = (date: Date | undefined, context: DocumentContext) => (date ? formatKoreanLongDate(date, context.timeZone) : BLANK_DATE);

/** Form 1 as the operator registered it. */
export function applicationFields(request: DisclosureRequest, context: DocumentContext): Form1Fields {
  return {
    ...municipality(context.municipalityName),
    viewingMark: mark(request.kind === 'viewing'),
    provisionMark: mark(request.kind === 'provision'),
    applicantName: request.applicantName,
    applicantBirthDateOrBusinessNumber: request.applicantBirthDateOrBusinessNumber,
    applicantAddress: request.applicantAddress,
    applicantContact: request.applicantContact,
    recordingTime: request.requestedRecordingTime,
    recordedPhoneNumber: request.requestedPhoneNumber,
    purpose: request.purpose,
    relationToParty: request.relationToParty,
    reason: request.reason,
    applicationDate: longDate(request.receivedAt, context),
    attachments: request.groundDetail ?? '',
  };
}

/** Who receives the copy, as Form 2 names them: before signing, or as recorded when they signed. */
export type Form2Recipient = Pick<HandoverReceipt, 'request' | 'recipientName' | 'receivedAt'>;

/** The drawn signature's place on Form 2: at most 4 cm wide and 1.5 cm high, its proportions kept. */
const SIGNATURE_BOX_CM = { width: 4, height: 1.5 };

function signatureImage(png: Buffer): SignatureImageField {
  // IHDR follows the 8-byte PNG signature and its own 8-byte length and type: width, then height.
  const ratio = png.readUInt32BE(20) / png.readUInt32BE(16);
  const width = Math.min(SIGNATURE_BOX_CM.width, SIGNATURE_BOX_CM.height / ratio);
  return { width, height: width * ratio, data: png, extension: '.png', alt: '인수자 서명' };
}

/** Form 2 for the recordings confirmed on the request (one audio file each), signed if the signature is given. */
export function handoverReceiptFields(
  receipt: Form2Recipient,
  recordings: readonly Recording[],
  official: HandingOverOfficial,
  context: DocumentContext,
  recipientSignaturePng?: Buffer,
): Form2Fields {
  const request = receipt.request;
  return {
    ...municipality(context.municipalityName),
    items: [...recordings]
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
      .map((recording) => ({
        managementNumber: request.managementNumber,
        recordingTime: formatKoreanDateTime(recording.startedAt, context.timeZone),
        recordedPhoneNumber: recording.extension.number,
        purpose: request.purpose,
        fileCount: '1',
        remarks: request.kind === 'viewing' ? '열람' : '',
      })),
    receivedDate: longDate(receipt.receivedAt, context),
    reportPeriod: context.reportPeriod,
    documentDate: longDate(receipt.receivedAt, context),
    recipientAddress: request.applicantAddress,
    recipientName: receipt.recipientName,
    handoverUnit: official.unit,
    handoverRank: official.rank,
    handoverName: official.name,
    recipientSigned: recipientSignaturePng !== undefined,
    recipientSignature: recipientSignaturePng ? signatureImage(recipientSignaturePng) : null,
  };
}

/** Form 3: blank but for the case's facts when sent with the files; filled once the report is recorded. */
export function destructionReportFields(
  report: DestructionReport,
  receipt: HandoverReceipt,
  recordings: readonly Recording[],
  receiver: string,
  context: DocumentContext,
): Form3Fields {
  const request = report.request;
  const first = [...recordings].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())[0];
  const reported = report.reportedAt !== undefined;
  return {
    ...municipality(context.municipalityName),
    provisionalMark: FORM3_PROVISIONAL_MARK,
    managementNumber: request.managementNumber,
    providedDate: longDate(receipt.receivedAt, context),
    recordingTime: first
      ? `${formatKoreanDateTime(first.startedAt, context.timeZone)}${recordings.length > 1 ? ` 외 ${recordings.length - 1}건` : ''}`
      : request.requestedRecordingTime,
    recordedPhoneNumber: first?.extension.number ?? request.requestedPhoneNumber,
    purpose: request.purpose,
    fileCount: String(recordings.length),
    destroyedAt: report.destroyedAt ? formatKoreanDateTime(report.destroyedAt, context.timeZone) : '',
    methodOverwrite: mark(report.method === 'delete_overwrite'),
    methodPhysical: mark(report.method === 'physical_destruction'),
    methodOther: mark(report.method === 'other'),
    methodDetail: report.methodDetail ?? '',
    allCopiesYes: mark(report.allCopiesDestroyed === true),
    allCopiesNo: mark(report.allCopiesDestroyed === false),
    witness: report.witness ?? '',
    replyDate: longDate(report.reportedAt, context),
    recipientAddress: reported ? request.applicantAddress : '',
    recipientName: reported ? request.applicantName : '',
    receivedDate: reported ? longDate(report.reportedAt, context) : '',
    receiverUnitRankName: reported ? receiver : '',
  };
}

/** 녹취정보 신청 거부 통지서: why the request cannot be granted, on the rules' Art. 9(1). */
export function rejectionNoticeFields(
  request: DisclosureRequest,
  reason: string,
  managingDepartmentName: string,
  noticeAt: Date,
  context: DocumentContext,
): DisclosureRejectionNoticeFields {
  return {
    ...municipality(context.municipalityName),
    managingDepartmentName,
    contact: '',
    kindLabel: DISCLOSURE_KIND_LABELS[request.kind],
    managementNumber: request.managementNumber,
    applicantName: request.applicantName,
    appliedDate: longDate(request.receivedAt, context),
    requestSummary: `${request.requestedRecordingTime} ${request.requestedPhoneNumber} 통화의 녹취정보 ${DISCLOSURE_KIND_LABELS[request.kind]} (${request.purpose})`,
    reason,
    legalBasis: request.ground === 'party' ? '(통화 당사자)' : '(다른 법령에 근거가 있는 경우)',
    noticeDate: longDate(noticeAt, context),
  };
}

/** The letter reminding the recipient to return Form 3 (before the deadline, or overdue), for post or with an e-mail. */
export function reminderLetterFields(
  report: DestructionReport,
  receipt: HandoverReceipt,
  overdue: boolean,
  lastDay: string,
  managingDepartmentName: string,
  letterAt: Date,
  context: DocumentContext,
): DestructionReportReminderFields {
  const request = report.request;
  return {
    ...municipality(context.municipalityName),
    managingDepartmentName,
    contact: '',
    recipientName: receipt.recipientName,
    recipientAddress: request.applicantAddress,
    managementNumber: request.managementNumber,
    providedDate: longDate(receipt.receivedAt, context),
    dueDate: lastDay,
    status: overdue ? '기한이 지났으나 아직 회신되지 않았습니다' : '아직 회신되지 않았습니다',
    reportPeriod: context.reportPeriod,
    letterDate: longDate(letterAt, context),
  };
}

/** The memo escalating an unreturned Form 3 to the chief. */
export function escalationMemoFields(
  report: DestructionReport,
  receipt: HandoverReceipt,
  lastDay: string,
  daysOverdue: number,
  remindersSent: number,
  managingDepartmentName: string,
  memoAt: Date,
  context: DocumentContext,
): DestructionReportEscalationFields {
  const request = report.request;
  return {
    ...municipality(context.municipalityName),
    managingDepartmentName,
    reporter: `${managingDepartmentName} 업무담당자`,
    managementNumber: request.managementNumber,
    recipient: `${receipt.recipientName} (${request.applicantAddress})`,
    providedDate: longDate(receipt.receivedAt, context),
    dueDate: lastDay,
    daysOverdue: `${daysOverdue}일`,
    remindersSent: `${remindersSent}회`,
    proposedAction: '유선 확인 후 재촉구, 계속 회신하지 않으면 관계 법령에 따른 조치 검토',
    memoDate: longDate(memoAt, context),
  };
}
