/**
 * 월간 접근기록 점검 보고서 (개인정보의 안전성 확보조치 기준 제8조): a month of the audit chain read for the chief —
 * who accessed what, every playback and export with its reason, refusals, access outside working hours, and what
 * looks wrong (one user reading many recordings in a day, many refusals). The analysis is pure (entries in, findings
 * out) so it is tested without a database; the workbook is what the chief reviews and the city files.
 */
import ExcelJS from 'exceljs';
import { workbookBytes } from './xlsx-print';
import { auditActionLabel } from '../domain/audit-labels';
import type { AuditEvent } from '../infra/db/entities';
import { formatKoreanDateTime, wallClockDate } from '../domain/korean-time';

/** An audit entry as the report reads it. */
export type AccessEntry = Pick<AuditEvent, 'seq' | 'at' | 'actor' | 'role' | 'sourceAddress' | 'action' | 'targetType' | 'targetId' | 'reason'> &
  Partial<Pick<AuditEvent, 'detail'>>;

/**
 * The capture appliance's refusals of devices and clients: its summaries of failed logins (RTSP Digest, the control
 * API's token) and each request of a known control client beyond its scope. No person is named, but each is a probe
 * from an address, so the review counts the failures they stand for (issue 22, issue 18).
 */
export const DEVICE_AUTH_FAILURE_ACTIONS: ReadonlySet<string> = new Set(['rtsp.auth_failures', 'capture_control.unauthorized', 'capture_control.refused']);

/** How many failures a summary entry stands for (its `failures`), 1 for an entry of one. */
function failuresOf(entry: AccessEntry): number {
  try {
    const failures = (JSON.parse(entry.detail ?? '{}') as { failures?: unknown }).failures;
    return typeof failures === 'number' && Number.isInteger(failures) && failures > 0 ? failures : 1;
  } catch {
    return 1;
  }
}

/** What hands out or plays personal data: each one is listed with its reason. */
export const RELEASE_ACTIONS: ReadonlySet<string> = new Set([
  'disclosure.recording_played',
  'recording.exported_by_party',
  'disclosure.package_built',
  'disclosure.package_downloaded',
  'disclosure.document_downloaded',
  'attachment.downloaded',
  'ledger.exported',
  'full_recording.document',
  'access_review.report_downloaded',
]);
const RECORDING_READ = 'recording.read';
const REFUSED = 'request.refused';
const byTime = (a: AccessEntry, b: AccessEntry) => a.at.getTime() - b.at.getTime() || a.seq - b.seq;

export interface AccessReportOptions {
  /** Whether a day is a working day (weekends and public holidays are not), for after-hours access. */
  isWorkingDay(localDate: string): boolean;
  timeZone: string;
  /** Working hours on a working day, local time, `[from, to)` in hours. */
  workingHours: readonly [number, number];
  /** More distinct recordings than this read by one user in one day is an anomaly. */
  readsPerDayLimit: number;
  /** More refusals than this for one user in one day is an anomaly. */
  refusalsPerDayLimit: number;
}

export interface UserAccess {
  actor: string;
  roles: string[];
  entries: number;
  recordingReads: number;
  distinctRecordings: number;
  releases: number;
  refusals: number;
  afterHours: number;
}

export interface Anomaly {
  actor: string;
  day: string;
  kind: 'many_recordings' | 'many_refusals';
  count: number;
  description: string;
}

export interface AccessFindings {
  users: UserAccess[];
  releases: AccessEntry[];
  refusals: AccessEntry[];
  /** The appliance's summaries of failed device and client logins, and the failures they count. */
  deviceAuthFailures: { entries: AccessEntry[]; failures: number };
  afterHours: AccessEntry[];
  anomalies: Anomaly[];
}

export interface AccessSummary {
  entries: number;
  users: number;
  releases: number;
  refusals: number;
  deviceAuthFailures: number;
  afterHours: number;
  anomalies: number;
}

/** People, not the system's own components (their entries are the lifecycles' steps, not access). */
const isPerson = (entry: AccessEntry) => !entry.actor.startsWith('system:') && entry.role !== 'system';

/** The local day (`YYYY-MM-DD`) and hour of an instant, read off the wall clock built for the time zone. */
function localDayAndHour(at: Date, timeZone: string): { day: string; hour: number } {
  const wall = wallClockDate(at, timeZone);
  return { day: wall.toISOString().slice(0, 10), hour: wall.getUTCHours() };
}

/**
 * The month read in batches (a city's month of audit entries need not fit in memory at once): only the aggregates and
 * the entries the report lists (releases, refusals, after-hours access) are kept.
 */
export class AccessAnalysis {
  private readonly byUser = new Map<string, UserAccess & { recordings: Set<string> }>();
  private readonly perDay = new Map<string, { actor: string; day: string; recordings: Set<string>; refusals: number }>();
  private readonly releases: AccessEntry[] = [];
  private readonly refusals: AccessEntry[] = [];
  private readonly deviceAuthFailures = { entries: [] as AccessEntry[], failures: 0 };
  private readonly afterHours: AccessEntry[] = [];

  constructor(private readonly options: AccessReportOptions) {}

  add(entries: readonly AccessEntry[]): this {
    const { options } = this;
    for (const entry of entries) {
      if (DEVICE_AUTH_FAILURE_ACTIONS.has(entry.action)) {
        this.deviceAuthFailures.entries.push(entry);
        this.deviceAuthFailures.failures += failuresOf(entry);
      }
      if (!isPerson(entry)) continue;
      const user = this.byUser.get(entry.actor) ?? {
        actor: entry.actor,
        roles: [],
        entries: 0,
        recordingReads: 0,
        distinctRecordings: 0,
        releases: 0,
        refusals: 0,
        afterHours: 0,
        recordings: new Set<string>(),
      };
      this.byUser.set(entry.actor, user);
      if (!user.roles.includes(entry.role)) user.roles.push(entry.role);
      user.entries += 1;
      const { day, hour } = localDayAndHour(entry.at, options.timeZone);
      const key = `${entry.actor} ${day}`;
      const daily = this.perDay.get(key) ?? { actor: entry.actor, day, recordings: new Set<string>(), refusals: 0 };
      this.perDay.set(key, daily);
      if (entry.action === RECORDING_READ) {
        user.recordingReads += 1;
        user.recordings.add(entry.targetId);
        daily.recordings.add(entry.targetId);
      }
      if (RELEASE_ACTIONS.has(entry.action)) {
        user.releases += 1;
        this.releases.push(entry);
      }
      if (entry.action === REFUSED) {
        user.refusals += 1;
        daily.refusals += 1;
        this.refusals.push(entry);
      }
      if (!options.isWorkingDay(day) || hour < options.workingHours[0] || hour >= options.workingHours[1]) {
        user.afterHours += 1;
        this.afterHours.push(entry);
      }
    }
    return this;
  }

  findings(): AccessFindings {
    const { options } = this;
    const anomalies: Anomaly[] = [];
    for (const daily of this.perDay.values()) {
      if (daily.recordings.size > options.readsPerDayLimit) {
        anomalies.push({
          actor: daily.actor,
          day: daily.day,
          kind: 'many_recordings',
          count: daily.recordings.size,
          description: `하루에 녹취 ${daily.recordings.size}건 조회 (기준 ${options.readsPerDayLimit}건 초과)`,
        });
      }
      if (daily.refusals > options.refusalsPerDayLimit) {
        anomalies.push({
          actor: daily.actor,
          day: daily.day,
          kind: 'many_refusals',
          count: daily.refusals,
          description: `하루에 거부된 요청 ${daily.refusals}건 (기준 ${options.refusalsPerDayLimit}건 초과)`,
        });
      }
    }
    anomalies.sort((a, b) => a.day.localeCompare(b.day) || a.actor.localeCompare(b.actor));
    return {
      users: [...this.byUser.values()]
        .map(({ recordings, ...user }) => ({ ...user, distinctRecordings: recordings.size }))
        .sort((a, b) => b.entries - a.entries || a.actor.localeCompare(b.actor)),
      releases: [...this.releases].sort(byTime),
      refusals: [...this.refusals].sort(byTime),
      deviceAuthFailures: { entries: [...this.deviceAuthFailures.entries].sort(byTime), failures: this.deviceAuthFailures.failures },
      afterHours: [...this.afterHours].sort(byTime),
      anomalies,
    };
  }
}

export function summarise(findings: AccessFindings): AccessSummary {
  return {
    entries: findings.users.reduce((total, user) => total + user.entries, 0),
    users: findings.users.length,
    releases: findings.releases.length,
    refusals: findings.refusals.length,
    deviceAuthFailures: findings.deviceAuthFailures.failures,
    afterHours: findings.afterHours.length,
    anomalies: findings.anomalies.length,
  };
}

export interface AccessReportHeading {
  municipalityName: string;
  /** `YYYY-MM` */
  month: string;
  generatedAt: Date;
  timeZone: string;
  /** The chain's entries the report covers: first and last sequence number, and the last hash. */
  chain: { firstSeq: number | null; lastSeq: number | null; lastHash: string | null };
}

const entryRow = (entry: AccessEntry, timeZone: string, label: string) => [
  formatKoreanDateTime(entry.at, timeZone),
  entry.actor,
  entry.role,
  entry.sourceAddress,
  label,
  `${entry.targetType} ${entry.targetId}`,
  entry.reason,
];
const ENTRY_HEADER = ['일시', '사용자', '역할', '접속 주소', '행위', '대상', '사유'];

/** The workbook: 요약, then one sheet per finding, each with a frozen header and filters. */
export async function writeAccessReportXlsx(findings: AccessFindings, heading: AccessReportHeading): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = `${heading.municipalityName} 행정전화 녹취시스템`;
  workbook.created = heading.generatedAt;
  const [year, month] = heading.month.split('-');
  const summary = summarise(findings);
  const cover = workbook.addWorksheet('요약');
  cover.addRows([
    [`${year}년 ${Number(month)}월 접근기록 점검 보고서`],
    ['근거', '개인정보의 안전성 확보조치 기준 제8조 (접속기록의 보관 및 점검)'],
    ['작성 일시', formatKoreanDateTime(heading.generatedAt, heading.timeZone)],
    [
      '감사 기록 범위',
      heading.chain.firstSeq === null
        ? '해당 월의 기록 없음'
        : `${heading.chain.firstSeq}번 ~ ${heading.chain.lastSeq}번 (마지막 해시 ${heading.chain.lastHash})`,
    ],
    [],
    ['사람의 접근 기록', summary.entries],
    ['접근한 사용자', summary.users],
    ['재생·내보내기', summary.releases],
    ['거부된 요청', summary.refusals],
    ['장치·제어 인증 실패', summary.deviceAuthFailures],
    ['업무시간 외 접근', summary.afterHours],
    ['이상 징후', summary.anomalies],
    [],
    ['사용자', '역할', '접근', '녹취 조회', '조회한 녹취 (서로 다른)', '재생·내보내기', '거부', '업무시간 외'],
    ...findings.users.map((user) => [
      user.actor,
      user.roles.join(', '),
      user.entries,
      user.recordingReads,
      user.distinctRecordings,
      user.releases,
      user.refusals,
      user.afterHours,
    ]),
  ]);
  cover.getRow(1).font = { bold: true, size: 14 };
  cover.getColumn(1).width = 22;
  cover.getColumn(2).width = 24;
  const sheet = (name: string, header: string[], rows: (string | number)[][]) => {
    const worksheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    worksheet.addRow(header).font = { bold: true };
    worksheet.addRows(rows.length ? rows : [['해당 없음']]);
    worksheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: header.length } };
    header.forEach((_, index) => (worksheet.getColumn(index + 1).width = index === header.length - 1 ? 40 : 20));
  };
  sheet(
    '재생·내보내기',
    ENTRY_HEADER,
    findings.releases.map((entry) => entryRow(entry, heading.timeZone, auditActionLabel(entry.action))),
  );
  sheet(
    '거부',
    ENTRY_HEADER,
    findings.refusals.map((entry) => entryRow(entry, heading.timeZone, '요청 거부')),
  );
  sheet(
    '장치 인증 실패',
    [...ENTRY_HEADER, '실패 횟수'],
    findings.deviceAuthFailures.entries.map((entry) => [...entryRow(entry, heading.timeZone, auditActionLabel(entry.action)), failuresOf(entry)]),
  );
  sheet(
    '업무시간 외',
    ENTRY_HEADER,
    findings.afterHours.map((entry) => entryRow(entry, heading.timeZone, auditActionLabel(entry.action))),
  );
  sheet(
    '이상 징후',
    ['날짜', '사용자', '내용'],
    findings.anomalies.map((anomaly) => [anomaly.day, anomaly.actor, anomaly.description]),
  );
  return workbookBytes(workbook);
}
