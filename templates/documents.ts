/**
 * Fills the official forms with docx-templates. A city replaces a form by putting its own
 * `<kind>.docx` in the templates folder it configures; otherwise the built-in template is used.
 * Values are inserted as text: whatever an applicant typed ({{, +++, XML, line breaks) never becomes a
 * template command or markup.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import createReport from 'docx-templates';
import { builtInTemplate, type FormKind } from './forms';
import { documentSafeData } from '../domain/text';

const CHECKED = '☑';
const UNCHECKED = '☐';
/** The blank date line of the printed forms. */
export const BLANK_DATE = '        년        월        일';

export const mark = (checked: boolean): string => (checked ? CHECKED : UNCHECKED);

interface Common {
  municipalityName: string;
  /** 광명시장 */
  mayorTitle: string;
}

export interface Form1Fields extends Common {
  viewingMark: string;
  provisionMark: string;
  applicantName: string;
  applicantBirthDateOrBusinessNumber: string;
  applicantAddress: string;
  applicantContact: string;
  recordingTime: string;
  recordedPhoneNumber: string;
  purpose: string;
  relationToParty: string;
  reason: string;
  applicationDate: string;
  attachments: string;
}

export interface HandoverItem {
  managementNumber: string;
  recordingTime: string;
  recordedPhoneNumber: string;
  purpose: string;
  fileCount: string;
  remarks: string;
}

export interface Form2Fields extends Common {
  items: HandoverItem[];
  receivedDate: string;
  reportPeriod: string;
  documentDate: string;
  recipientAddress: string;
  recipientName: string;
  handoverUnit: string;
  handoverRank: string;
  handoverName: string;
  /** Signed on screen: the recipient's signature is drawn after their name. */
  recipientSigned: boolean;
  recipientSignature: SignatureImageField | null;
}

/** An image as docx-templates' IMAGE command takes it (sizes in cm). */
export interface SignatureImageField {
  width: number;
  height: number;
  data: Buffer;
  extension: '.png';
  alt: string;
}

export interface Form3Fields extends Common {
  provisionalMark: string;
  managementNumber: string;
  providedDate: string;
  recordingTime: string;
  recordedPhoneNumber: string;
  purpose: string;
  fileCount: string;
  destroyedAt: string;
  methodOverwrite: string;
  methodPhysical: string;
  methodOther: string;
  methodDetail: string;
  allCopiesYes: string;
  allCopiesNo: string;
  witness: string;
  replyDate: string;
  recipientAddress: string;
  recipientName: string;
  receivedDate: string;
  receiverUnitRankName: string;
}

/** 결재 column labels, from the settings (담당자, 팀장, 과장 by default). */
export interface SignOffLabels {
  operator: string;
  deputy: string;
  chief: string;
}

/** A ledger line as Form 4 prints it: every column as text. */
/** One line of the ledger, as LedgerEntry holds it. */
export interface LedgerRow {
  managementNumber: string;
  appliedAt: Date;
  applicantName: string;
  applicantBirthDateOrBusinessNumber: string;
  applicantAddress: string;
  recordingTime: string;
  recordedPhoneNumber: string;
  purpose: string;
  remarks?: string;
  signOffOperator?: string;
  signOffDeputy?: string;
  signOffChief?: string;
}

export type Form4Entry = Record<keyof LedgerRow, string>;

export interface Form4Fields extends Common {
  period: string;
  signOffLabels: SignOffLabels;
  entries: Form4Entry[];
}

export interface FullRecordingApplicationFields extends Common {
  managingDepartmentName: string;
  departmentName: string;
  applicantName: string;
  applicantTitleAndName: string;
  extensions: string;
  groundInterest: string;
  groundMalicious: string;
  groundOther: string;
  reason: string;
  period: string;
  noticeMethod: string;
  evidence: string;
  applicationDate: string;
}

export interface DisclosureRejectionNoticeFields extends Common {
  managingDepartmentName: string;
  contact: string;
  kindLabel: string;
  managementNumber: string;
  applicantName: string;
  appliedDate: string;
  requestSummary: string;
  reason: string;
  legalBasis: string;
  noticeDate: string;
}

export interface DestructionReportReminderFields extends Common {
  managingDepartmentName: string;
  contact: string;
  recipientName: string;
  recipientAddress: string;
  managementNumber: string;
  providedDate: string;
  dueDate: string;
  status: string;
  reportPeriod: string;
  letterDate: string;
}

export interface DestructionReportEscalationFields extends Common {
  managingDepartmentName: string;
  reporter: string;
  managementNumber: string;
  recipient: string;
  providedDate: string;
  dueDate: string;
  daysOverdue: string;
  remindersSent: string;
  proposedAction: string;
  memoDate: string;
}

export interface FieldsByKind {
  'form1-application': Form1Fields;
  'form2-handover-receipt': Form2Fields;
  'form3-destruction-report': Form3Fields;
  'form4-ledger': Form4Fields;
  'full-recording-application': FullRecordingApplicationFields;
  'disclosure-rejection-notice': DisclosureRejectionNoticeFields;
  'destruction-report-reminder': DestructionReportReminderFields;
  'destruction-report-escalation': DestructionReportEscalationFields;
}

/** Printed on Form 3 until the city adopts its own text (regulation/form3-reconstruction.md). */
export const FORM3_PROVISIONAL_MARK = '서식 미제정 — 임시 양식';

export function municipality(municipalityName: string): Common {
  return { municipalityName, mayorTitle: `${municipalityName}장` };
}

/** Blank forms for the counter: every field empty, every box unticked, date lines to write on. */
export const BLANK_FORMS = {
  'form1-application': (common: Common): Form1Fields => ({
    ...common,
    viewingMark: UNCHECKED,
    provisionMark: UNCHECKED,
    applicantName: '',
    applicantBirthDateOrBusinessNumber: '',
    applicantAddress: '',
    applicantContact: '',
    recordingTime: '',
    recordedPhoneNumber: '',
    purpose: '',
    relationToParty: '',
    reason: '',
    applicationDate: BLANK_DATE,
    attachments: '',
  }),
  'form2-handover-receipt': (common: Common, reportPeriod: string): Form2Fields => ({
    ...common,
    items: [{ managementNumber: '', recordingTime: '', recordedPhoneNumber: '', purpose: '', fileCount: '', remarks: '' }],
    receivedDate: BLANK_DATE,
    reportPeriod,
    documentDate: BLANK_DATE,
    recipientAddress: '',
    recipientName: '',
    handoverUnit: '',
    handoverRank: '',
    handoverName: '',
    recipientSigned: false,
    recipientSignature: null,
  }),
  'form3-destruction-report': (common: Common): Form3Fields => ({
    ...common,
    provisionalMark: FORM3_PROVISIONAL_MARK,
    managementNumber: '',
    providedDate: '',
    recordingTime: '',
    recordedPhoneNumber: '',
    purpose: '',
    fileCount: '',
    destroyedAt: '',
    methodOverwrite: UNCHECKED,
    methodPhysical: UNCHECKED,
    methodOther: UNCHECKED,
    methodDetail: '',
    allCopiesYes: UNCHECKED,
    allCopiesNo: UNCHECKED,
    witness: '',
    replyDate: BLANK_DATE,
    recipientAddress: '',
    recipientName: '',
    receivedDate: '',
    receiverUnitRankName: '',
  }),
};

export class TemplateError extends Error {
  readonly code = 'DOCUMENT_TEMPLATE_FAILED';
  constructor(kind: FormKind, cause: unknown) {
    super(`서식 ${kind}을(를) 만들지 못했습니다: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'TemplateError';
  }
}

async function loadTemplate(kind: FormKind, templatesDir: string | undefined): Promise<Buffer> {
  const replacement = templatesDir ? path.join(templatesDir, `${kind}.docx`) : undefined;
  if (replacement && existsSync(replacement)) return readFile(replacement);
  return builtInTemplate(kind);
}

/** A filled form as DOCX. */
export async function renderForm<K extends FormKind>(kind: K, fields: FieldsByKind[K], options: { templatesDir?: string } = {}): Promise<Buffer> {
  const template = await loadTemplate(kind, options.templatesDir);
  try {
    const report = await createReport({
      template,
      // Stored values may predate the API's refusal of control characters: cleaned here so they cannot break the DOCX.
      data: documentSafeData(fields),
      cmdDelimiter: ['{{', '}}'],
      failFast: true,
      rejectNullish: true,
      processLineBreaks: true,
      // A break between text elements, not inside one: LibreOffice ignores a <w:br/> nested in <w:t>.
      processLineBreaksAsNewText: true,
    });
    return Buffer.from(report);
  } catch (error) {
    throw new TemplateError(kind, error);
  }
}
