/**
 * The built-in templates of the official forms, laid out like the originals in the regulation
 * ([별지 제1호서식] 신청서, [별지 제2호서식] 인수·인계증) and the reconstructed Form 3 (파기 결과 회신서).
 * Each is a DOCX template with docx-templates commands between `{{` and `}}`; a city can replace any of
 * them with its own file (see documents.ts) as long as it uses the same field names.
 */
import { FULL_RECORDING_GROUND_TEXTS } from '../domain/full-recording';
import { buildDocx, type Block, type Cell } from './docx/ooxml';

export const FORM_KINDS = [
  'form1-application',
  'form2-handover-receipt',
  'form3-destruction-report',
  'form4-ledger',
  'full-recording-application',
  'disclosure-rejection-notice',
  'destruction-report-reminder',
  'destruction-report-escalation',
] as const;
export type FormKind = (typeof FORM_KINDS)[number];

const label = (text: string, extra: Partial<Cell> = {}): Cell => ({ paragraphs: [text], label: true, ...extra });
const field = (command: string, extra: Partial<Cell> = {}): Cell => ({ paragraphs: [`{{${command}}}`], ...extra });
const title = (text: string): Block => ({ paragraph: { runs: [{ text, bold: true, size: 16 }], align: 'center', after: 12 } });
const formNumber = (text: string): Block => ({ paragraph: { runs: [{ text, size: 9 }], after: 4 } });
const rules = '「{{municipalityName}} 행정전화 녹취시스템 운영 규정」';

/** A two-column table of labels and the fields they name, as letters and memos use. */
function labelledFields(rows: [string, string, number?][]): Block {
  return {
    table: {
      columns: [36, 134],
      rows: rows.map(([text, command, height]) => ({ height: height ?? 10, cells: [label(text), field(command)] })),
    },
  };
}

/** The close of a letter sent in the mayor's name: date, sender, and who to call. */
function mayorSignature(dateField: string): Block[] {
  return [
    { paragraph: { runs: [`{{${dateField}}}`], align: 'center', after: 18 } },
    { paragraph: { runs: [{ text: '{{mayorTitle}}', bold: true, size: 14 }], align: 'center', after: 6 } },
    { paragraph: { runs: ['(담당: {{managingDepartmentName}} {{contact}})'], align: 'center' } },
  ];
}

/** [별지 제1호서식] 행정전화 녹취정보 (열람, 제공) 신청서. */
function form1(): Block[] {
  return [
    formNumber('[별지 제1호서식]'),
    title('행정전화 녹취정보 ({{viewingMark}} 열람, {{provisionMark}} 제공) 신청서'),
    {
      table: {
        columns: [20, 30, 42, 42, 36],
        rows: [
          {
            height: 12,
            cells: [
              label('신청인', { mergeDown: true }),
              label('성명 (기관·단체명)'),
              field('applicantName'),
              label('생년월일 (법인·사업자번호)'),
              field('applicantBirthDateOrBusinessNumber'),
            ],
          },
          { height: 12, cells: [label('', { continued: true }), label('주소 (부서명)'), field('applicantAddress', { span: 3 })] },
          { height: 12, cells: [label('', { continued: true }), label('연락처'), field('applicantContact', { span: 3 })] },
          {
            height: 12,
            cells: [label('녹취정보', { mergeDown: true }), label('녹취일시'), field('recordingTime'), label('녹취전화번호'), field('recordedPhoneNumber')],
          },
          { height: 12, cells: [label('', { continued: true }), label('신청목적'), field('purpose'), label('당사자와의 관계'), field('relationToParty')] },
          { height: 40, cells: [label('신청사유', { span: 2 }), field('reason', { span: 3 })] },
          {
            height: 70,
            cells: [
              {
                span: 5,
                paragraphs: [
                  { runs: [`${rules} 제9조제2항에 따라 녹취정보를({{viewingMark}} 열람, {{provisionMark}} 제공)하여 줄 것을 신청합니다.`], after: 18 },
                  { runs: ['{{applicationDate}}'], align: 'center', after: 18 },
                  { runs: ['신청인 성명(기관·단체명)  {{applicantName}}          (서명 또는 날인)'], align: 'right', after: 18 },
                  { runs: [{ text: '{{mayorTitle}} 귀하', bold: true, size: 12 }] },
                ],
              },
            ],
          },
          { height: 14, cells: [label('첨부서류', { span: 2 }), { span: 3, paragraphs: [`${rules} 제9조제1항을 증명할 수 있는 서류 {{attachments}}`] }] },
        ],
      },
    },
  ];
}

/** [별지 제2호서식] 녹취정보 인수·인계증. */
function form2(): Block[] {
  const headers = ['관리번호', '녹취일시', '녹취전화번호', '신청목적', '파일수량', '비 고'];
  return [
    formNumber('[별지 제2호서식]'),
    title('녹취정보 인수·인계증'),
    { paragraph: { runs: [{ text: '1. 녹취정보 내용', bold: true }], after: 4 } },
    {
      table: {
        columns: [24, 38, 32, 38, 18, 20],
        rows: [
          { header: true, height: 9, cells: headers.map((text) => label(text)) },
          // docx-templates repeats the rows between a FOR row and an END-FOR row, and drops those two.
          { cells: [field('FOR item IN items', { span: 6 })] },
          {
            height: 9,
            cells: [
              field('$item.managementNumber', { align: 'center' }),
              field('$item.recordingTime'),
              field('$item.recordedPhoneNumber'),
              field('$item.purpose'),
              field('$item.fileCount', { align: 'center' }),
              field('$item.remarks'),
            ],
          },
          { cells: [field('END-FOR item', { span: 6 })] },
        ],
      },
    },
    { paragraph: { runs: [{ text: '2. 수령일자 : ', bold: true }, '{{receivedDate}}'], after: 10 } },
    {
      paragraph: {
        runs: [
          { text: '3. 서약 사항 ', bold: true },
          `본인(기관·단체)은 상기 녹취정보를 인수함에 있어 ${rules}에 따라 신청목적 이외의 용도로 사용하거나 타인에게 양도 또는 열람·제공하지 않을 것이며, 규정 위반으로 인한 제반 사고에 대하여는 본인이 책임질 것을 서약합니다.`,
        ],
        align: 'both',
        after: 10,
      },
    },
    {
      paragraph: {
        runs: [
          { text: '4. 녹취정보의 처리 ', bold: true },
          '본 녹취정보는 신청목적 달성 시, 즉시 파기하고 그 결과를 제공일부터 {{reportPeriod}} 이내에 통보하겠습니다.',
        ],
        align: 'both',
        after: 18,
      },
    },
    { paragraph: { runs: ['{{documentDate}}'], align: 'center', after: 18 } },
    {
      table: {
        columns: [30, 140],
        rows: [
          { height: 10, cells: [label('인 수 자', { mergeDown: true }), { paragraphs: ['주 소: (부서명) {{recipientAddress}}'] }] },
          {
            height: 10,
            cells: [
              label('', { continued: true }),
              { paragraphs: ['성 명: (기관단체명) {{recipientName}}                    (서 명) {{IF recipientSigned}}{{IMAGE recipientSignature}}{{END-IF}}'] },
            ],
          },
          { height: 10, cells: [label('인 계 자', { mergeDown: true }), { paragraphs: ['소 속: {{handoverUnit}}'] }] },
          { height: 10, cells: [label('', { continued: true }), { paragraphs: ['직 급: {{handoverRank}}'] }] },
          { height: 10, cells: [label('', { continued: true }), { paragraphs: ['성 명: {{handoverName}}                    (서 명)'] }] },
        ],
      },
    },
  ];
}

/** Form 3 as reconstructed in regulation/form3-reconstruction.md, marked provisional until the city issues its own. */
function form3(): Block[] {
  return [
    { paragraph: { runs: [{ text: '{{provisionalMark}}', bold: true, size: 9 }], align: 'right', after: 4 } },
    title('녹취정보 파기 결과 회신서'),
    { paragraph: { runs: [{ text: '1. 녹취정보 내용', bold: true }], after: 4 } },
    {
      table: {
        columns: [30, 55, 30, 55],
        rows: [
          { height: 10, cells: [label('관리번호'), field('managementNumber'), label('제공일'), field('providedDate')] },
          { height: 10, cells: [label('녹취일시'), field('recordingTime'), label('녹취전화번호'), field('recordedPhoneNumber')] },
          { height: 10, cells: [label('신청목적'), field('purpose'), label('파일수량'), field('fileCount')] },
        ],
      },
    },
    { paragraph: { runs: [{ text: '2. 파기 내용', bold: true }], after: 4 } },
    {
      table: {
        columns: [40, 130],
        rows: [
          { height: 10, cells: [label('파기일시'), field('destroyedAt')] },
          {
            height: 16,
            cells: [
              label('파기방법'),
              { paragraphs: ['{{methodOverwrite}} 삭제 후 덮어쓰기   {{methodPhysical}} 저장매체 물리적 파기', '{{methodOther}} 기타 ({{methodDetail}})'] },
            ],
          },
          { height: 10, cells: [label('사본·복제본 포함 전부 파기'), { paragraphs: ['{{allCopiesYes}} 예   {{allCopiesNo}} 아니오'] }] },
          { height: 10, cells: [label('입회자'), field('witness')] },
        ],
      },
    },
    { paragraph: { runs: [{ text: '3. 확인', bold: true }], after: 4 } },
    {
      paragraph: {
        runs: [`${rules} 제9조제4항에 따라 위와 같이 녹취정보를 파기하였음을 회신합니다.`],
        align: 'both',
        after: 14,
      },
    },
    { paragraph: { runs: ['{{replyDate}}'], align: 'center', after: 14 } },
    {
      table: {
        columns: [30, 140],
        rows: [
          { height: 10, cells: [label('회 신 자', { mergeDown: true }), { paragraphs: ['주 소: (부서명) {{recipientAddress}}'] }] },
          {
            height: 10,
            cells: [label('', { continued: true }), { paragraphs: ['성 명: (기관·단체명) {{recipientName}}                    (서명 또는 날인)'] }],
          },
        ],
      },
    },
    { paragraph: { runs: [{ text: '{{mayorTitle}} 귀하 (관리부서의 장 참조)', bold: true, size: 12 }], after: 14 } },
    { paragraph: { runs: [{ text: '4. 관리부서 접수', bold: true }], after: 4 } },
    {
      table: {
        columns: [30, 55, 30, 55],
        rows: [
          { height: 10, cells: [label('접수일'), field('receivedDate'), label('확인'), { paragraphs: ['(서 명)'], align: 'right' }] },
          { height: 10, cells: [label('접수자'), field('receiverUnitRankName', { span: 3 })] },
        ],
      },
    },
  ];
}

/** [별지 제4호서식] 관리대장 for a chosen period, one row per disclosure, with the 결재 columns. */
function form4(): Block[] {
  const applicationColumns = ['성명 (기관단체명)', '생년월일 (법인·사업번호)', '주소 (부서명)', '녹취일시', '녹취전화번호', '신청목적', '비고'];
  const dense = { size: 9 };
  return [
    formNumber('[별지 제4호서식]'),
    title('행정전화 녹취시스템 녹취정보(열람, 제공) 관리대장'),
    { paragraph: { runs: ['기간: {{period}}'], align: 'right', after: 4 } },
    {
      table: {
        columns: [22, 32, 24, 26, 26, 30, 27, 24, 10, 12, 12, 12],
        rows: [
          {
            header: true,
            cells: [
              label('관리번호', { mergeDown: true, ...dense }),
              label('신청 일시', { mergeDown: true, ...dense }),
              label('신청 내용', { span: 7, ...dense }),
              label('결재', { span: 3, ...dense }),
            ],
          },
          {
            header: true,
            cells: [
              label('', { continued: true }),
              label('', { continued: true }),
              ...applicationColumns.map((text) => label(text, dense)),
              label('{{signOffLabels.operator}}', dense),
              label('{{signOffLabels.deputy}}', dense),
              label('{{signOffLabels.chief}}', dense),
            ],
          },
          { cells: [field('FOR entry IN entries', { span: 12 })] },
          {
            height: 9,
            cells: [
              'managementNumber',
              'appliedAt',
              'applicantName',
              'applicantBirthDateOrBusinessNumber',
              'applicantAddress',
              'recordingTime',
              'recordedPhoneNumber',
              'purpose',
              'remarks',
              'signOffOperator',
              'signOffDeputy',
              'signOffChief',
            ].map((name) => field(`$entry.${name}`, dense)),
          },
          { cells: [field('END-FOR entry', { span: 12 })] },
        ],
      },
    },
  ];
}

/** 전수 녹취 사용 신청서: the using department's written application (Art. 6(2)), ready for the e-document system. */
function fullRecordingApplication(): Block[] {
  return [
    title('행정전화 전수 녹취 사용 신청서'),
    {
      table: {
        columns: [36, 134],
        rows: [
          { height: 10, cells: [label('신청 부서'), field('departmentName')] },
          { height: 10, cells: [label('신청인 (부서장)'), field('applicantTitleAndName')] },
          { height: 14, cells: [label('대상 내선번호'), field('extensions')] },
          {
            height: 24,
            cells: [
              label('신청 사유 구분'),
              {
                paragraphs: [
                  `{{groundInterest}} ${FULL_RECORDING_GROUND_TEXTS.interest_related_complaints}`,
                  `{{groundMalicious}} ${FULL_RECORDING_GROUND_TEXTS.malicious_complaints}`,
                  `{{groundOther}} ${FULL_RECORDING_GROUND_TEXTS.other}`,
                ],
              },
            ],
          },
          { height: 30, cells: [label('구체적 사유'), field('reason')] },
          { height: 10, cells: [label('사용 기간'), field('period')] },
          { height: 14, cells: [label('사전 고지 방법'), field('noticeMethod')] },
          { height: 10, cells: [label('첨부 (증빙자료)'), field('evidence')] },
        ],
      },
    },
    {
      paragraph: {
        runs: [`${rules} 제6조제2항에 따라 위와 같이 전수 녹취 사용을 신청합니다.`],
        align: 'both',
        after: 14,
      },
    },
    { paragraph: { runs: ['{{applicationDate}}'], align: 'center', after: 14 } },
    { paragraph: { runs: ['신청인  {{departmentName}}장  {{applicantName}}          (서명)'], align: 'right', after: 14 } },
    { paragraph: { runs: [{ text: '{{managingDepartmentName}}장 귀하', bold: true, size: 12 }] } },
  ];
}

/** 녹취정보 (열람, 제공) 거부 통지서: the answer to a refused Form 1, with the ground and how to contest it. */
function disclosureRejectionNotice(): Block[] {
  return [
    title('녹취정보 ({{kindLabel}}) 신청 거부 통지서'),
    {
      table: {
        columns: [36, 134],
        rows: [
          { height: 10, cells: [label('관리번호'), field('managementNumber')] },
          { height: 10, cells: [label('신청인'), field('applicantName')] },
          { height: 10, cells: [label('신청일'), field('appliedDate')] },
          { height: 14, cells: [label('신청 내용'), field('requestSummary')] },
          { height: 30, cells: [label('거부 사유'), field('reason')] },
          { height: 14, cells: [label('근거'), { paragraphs: [`${rules} 제9조제1항 {{legalBasis}}`] }] },
        ],
      },
    },
    {
      paragraph: {
        runs: ['귀하께서 신청하신 녹취정보 ({{kindLabel}})에 대하여 위와 같은 사유로 응할 수 없음을 알려 드립니다.'],
        align: 'both',
        after: 10,
      },
    },
    {
      paragraph: {
        runs: [
          { text: '※ 불복 방법: ', bold: true },
          '이 처분에 이의가 있는 경우 처분이 있음을 안 날부터 90일 이내에 「행정심판법」에 따른 행정심판 또는 「행정소송법」에 따른 행정소송을 제기할 수 있습니다.',
        ],
        align: 'both',
        after: 18,
      },
    },
    ...mayorSignature('noticeDate'),
  ];
}

/** The letter that chases a recipient whose Form 3 is due or overdue (Art. 9(4)). */
function destructionReportReminder(): Block[] {
  return [
    title('녹취정보 파기 결과 회신 요청'),
    { paragraph: { runs: ['수신: {{recipientName}} 귀하 ({{recipientAddress}})'], after: 10 } },
    labelledFields([
      ['관리번호', 'managementNumber'],
      ['제공일', 'providedDate'],
      ['회신 기한', 'dueDate'],
      ['현재 상태', 'status'],
    ]),
    {
      paragraph: {
        runs: [
          `${rules} 제9조제4항에 따라 제공받으신 녹취정보는 신청목적이 달성되면 즉시 파기하고, 그 결과를 제공일부터 {{reportPeriod}} 이내에 녹취정보 파기 결과 회신서로 알려 주셔야 합니다. 위 기한까지 동봉한 회신서를 작성하여 보내 주시기 바랍니다.`,
        ],
        align: 'both',
        after: 10,
      },
    },
    { paragraph: { runs: ['붙임: 녹취정보 파기 결과 회신서 1부.  끝.'], after: 18 } },
    ...mayorSignature('letterDate'),
  ];
}

/** Internal memo to the chief when a Form 3 stays missing after its deadline. */
function destructionReportEscalation(): Block[] {
  return [
    title('녹취정보 파기 결과 미회신 보고'),
    { paragraph: { runs: ['수신: {{managingDepartmentName}}장   발신: {{managingDepartmentName}} {{reporter}}'], after: 10 } },
    labelledFields([
      ['관리번호', 'managementNumber'],
      ['수령인', 'recipient'],
      ['제공일', 'providedDate'],
      ['회신 기한', 'dueDate'],
      ['경과 일수', 'daysOverdue'],
      ['독촉 이력', 'remindersSent', 20],
      ['조치 건의', 'proposedAction', 20],
    ]),
    {
      paragraph: {
        runs: [`위 건은 ${rules} 제9조제4항의 파기 결과 회신 기한이 지나도록 회신되지 않았기에 보고합니다.`],
        align: 'both',
        after: 18,
      },
    },
    { paragraph: { runs: ['{{memoDate}}'], align: 'center' } },
  ];
}

const BUILDERS: Record<FormKind, () => Block[]> = {
  'form1-application': form1,
  'form2-handover-receipt': form2,
  'form3-destruction-report': form3,
  'form4-ledger': form4,
  'full-recording-application': fullRecordingApplication,
  'disclosure-rejection-notice': disclosureRejectionNotice,
  'destruction-report-reminder': destructionReportReminder,
  'destruction-report-escalation': destructionReportEscalation,
};

/** The ledger is printed on A4 landscape like the original; everything else on A4 portrait. */
const LANDSCAPE: ReadonlySet<FormKind> = new Set(['form4-ledger']);

/** The built-in template of a form, as DOCX. */
export function builtInTemplate(kind: FormKind): Promise<Buffer> {
  return buildDocx(BUILDERS[kind](), { landscape: LANDSCAPE.has(kind) });
}
