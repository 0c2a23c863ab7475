/**
 * 처리 경위 (a case's timeline) for auditors: one chronological list built from the two records of a case that are
 * kept apart from each other — the hash-chained audit log (who did, read, downloaded, played or was refused what,
 * from where and why) and the workflow's own event history (each signal with the user it carried, timers that fired,
 * activities and child workflows completed) — beside the case's generated documents and attached files with their
 * SHA-256. Two independent records side by side is the point: a step in one and missing from the other is what an
 * audit looks for. The history comes from Temporal while the server keeps it and from the sealed archive after.
 * Recordings appear by id and hash only: the timeline never carries audio. This file reads and assembles; the
 * shape is timeline-schemas.ts, the parsing of entries and histories timeline-items.ts, the words timeline-labels.ts.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { GENESIS_HASH, hashAuditEvent } from '../infra/audit/audit-log';
import {
  ArchivedHistory,
  Attachment,
  AuditChainHead,
  AuditCheckpoint,
  AuditEvent,
  DisclosureRequestRecording,
  DisclosureRequest,
  FullRecordingApplication,
  GeneratedDocument,
  Recording,
} from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import { formatKoreanDate } from '../domain/korean-time';
import { RECORDING_KEEPING_ACTIONS } from '../domain/audit-labels';
import { decodeHistory, historyFacts, type History } from '../infra/temporal/history';
import { notFound } from './errors';
import { type CaseTimeline, type CaseType, type TimelineItem } from './timeline-schemas';
import { auditItem, workflowItems } from './timeline-items';

/** The workflow side: a workflow's event history while the Temporal server still has it. */
export interface WorkflowHistoryReader {
  /** The latest run, or the run named; undefined once the server no longer has it. */
  history(workflowId: string, runId?: string): Promise<History | undefined>;
}

export interface TimelineDeps {
  /** Where archived histories are sealed. */
  documents: DocumentStore;
  /** Absent where the API runs without Temporal: the archive alone then. */
  histories?: WorkflowHistoryReader;
  /** TIME_ZONE: the day a full-recording application is named by. */
  timeZone: string;
}

interface LoadedHistory {
  workflowId: string;
  runId: string | null;
  workflowType: string;
  source: 'temporal' | 'archive';
  history: History;
  archiveSha256: string | null;
}

/**
 * The case's workflow and the workflows it started, from Temporal while it keeps them, else from the archive. A
 * Temporal that cannot be reached is said on the page, not an error: the audit half of the timeline still stands.
 */
async function loadHistories(
  em: EntityManager,
  deps: TimelineDeps,
  caseType: CaseType,
  caseId: string,
  workflowId: string,
): Promise<{ loaded: LoadedHistory[]; problems: string[] }> {
  const problems: string[] = [];
  const loaded: LoadedHistory[] = [];
  const archived = await em.find(ArchivedHistory, { caseType, caseId }, { populate: ['wrappedKey'], orderBy: { closedAt: 'asc' } });
  const fromArchive = (row: ArchivedHistory): LoadedHistory | undefined => {
    try {
      const json = deps.documents.get(row.id, row.wrappedKey);
      if (createHash('sha256').update(json).digest('hex') !== row.sha256) {
        problems.push(`보관된 이력 ${row.workflowId}의 SHA-256이 보관 당시와 다릅니다.`);
      }
      return {
        workflowId: row.workflowId,
        runId: row.runId,
        workflowType: row.workflowType,
        source: 'archive',
        history: decodeHistory(json),
        archiveSha256: row.sha256,
      };
    } catch (error) {
      problems.push(`보관된 이력 ${row.workflowId}을(를) 열지 못했습니다: ${(error as Error).message}`);
      return undefined;
    }
  };

  if (deps.histories) {
    try {
      const own = await deps.histories.history(workflowId);
      if (own) {
        const facts = historyFacts(own);
        const archivedOwn = archived.find((row) => row.workflowId === workflowId);
        loaded.push({
          workflowId,
          runId: null,
          workflowType: facts.workflowType,
          source: 'temporal',
          history: own,
          archiveSha256: archivedOwn?.sha256 ?? null,
        });
        for (const child of facts.children) {
          const history = await deps.histories.history(child.workflowId, child.runId);
          if (history) {
            loaded.push({
              workflowId: child.workflowId,
              runId: child.runId,
              workflowType: historyFacts(history).workflowType,
              source: 'temporal',
              history,
              archiveSha256: null,
            });
          } else {
            const row = archived.find((candidate) => candidate.workflowId === child.workflowId && candidate.runId === child.runId);
            const fromRow = row && fromArchive(row);
            if (fromRow) loaded.push(fromRow);
            else problems.push(`하위 업무 흐름 ${child.workflowId}의 이력을 찾지 못했습니다.`);
          }
        }
        return { loaded, problems };
      }
    } catch (error) {
      problems.push(`업무 흐름 서버(Temporal)에서 이력을 읽지 못해 보관본을 씁니다: ${(error as Error).message}`);
    }
  } else {
    problems.push('이 서버는 업무 흐름 서버(Temporal)에 연결되어 있지 않아 보관된 이력만 씁니다.');
  }
  for (const row of archived) {
    const fromRow = fromArchive(row);
    if (fromRow) loaded.push(fromRow);
  }
  if (loaded.length === 0) problems.push('업무 흐름 이력을 찾지 못했습니다 (업무 흐름 서버에도 보관본에도 없음).');
  return { loaded, problems };
}

/**
 * Each of the case's entries verified on its own — its hash over its fields, and its link to the entry before it
 * (whose hash is checked too) — so a changed or slipped-in entry of this case shows here without walking the whole
 * chain on every view; `npm run audit:verify` walks it whole.
 */
async function checkEntries(em: EntityManager, entries: readonly AuditEvent[]): Promise<CaseTimeline['chain']> {
  const problems: string[] = [];
  const wanted = [...new Set(entries.map((entry) => entry.seq - 1).filter((seq) => seq > 0))];
  const previous = new Map<number, AuditEvent>();
  for (let index = 0; index < wanted.length; index += 500) {
    for (const row of await em.find(AuditEvent, { seq: { $in: wanted.slice(index, index + 500) } })) previous.set(row.seq, row);
  }
  // An entry right after an archived segment (issue 19) follows its checkpoint's signed hash (checked by audit:verify).
  const cut = await em.findOne(AuditCheckpoint, { lastSeq: { $gte: 0 } }, { orderBy: { lastSeq: 'desc' }, disableIdentityMap: true });
  for (const entry of entries) {
    if (hashAuditEvent(entry) !== entry.hash) {
      problems.push(`감사 기록 ${entry.seq}번이 기록된 뒤 바뀌었습니다 (해시 불일치).`);
      continue;
    }
    const before = entry.seq === 1 ? undefined : previous.get(entry.seq - 1);
    const expected =
      entry.seq === 1
        ? GENESIS_HASH
        : cut && entry.seq - 1 === cut.lastSeq
          ? cut.lastHash
          : before && hashAuditEvent(before) === before.hash
            ? before.hash
            : undefined;
    if (expected === undefined) problems.push(`감사 기록 ${entry.seq}번의 앞 기록(${entry.seq - 1}번)이 없거나 바뀌었습니다.`);
    else if (entry.prevHash !== expected) problems.push(`감사 기록 ${entry.seq}번이 앞 기록(${entry.seq - 1}번)과 이어지지 않습니다.`);
  }
  const head = await em.findOne(AuditChainHead, 1);
  const lastSeq = head?.lastSeq ?? 0;
  const highest = entries.reduce((max, entry) => Math.max(max, entry.seq), 0);
  if (!head) problems.push('감사 기록 연쇄의 머리 행이 없습니다.');
  else if (highest > lastSeq) problems.push(`연쇄 머리(${lastSeq}번)보다 뒤의 감사 기록(${highest}번)이 있습니다.`);
  const ok = problems.length === 0;
  const summary = ok
    ? `감사 기록 ${entries.length}건 검증됨: 기록마다 해시가 맞고 앞 기록과 이어집니다 (연쇄 마지막 번호 ${lastSeq}). 연쇄 전체는 npm run audit:verify로 검증합니다.`
    : `감사 기록 검증 실패: ${problems.length}건의 문제 — ${problems.slice(0, 3).join(' ')}`;
  return { ok, entries: entries.length, problems, lastSeq, summary };
}

/** Fills in what a step named only by id: the document's purpose and hash, the file's name, the recording's audio hash. */
async function enrich(em: EntityManager, items: TimelineItem[], documents: CaseTimeline['documents'], attachments: CaseTimeline['attachments']): Promise<void> {
  const documentById = new Map(documents.map((document) => [document.id, document]));
  const attachmentById = new Map(attachments.map((attachment) => [attachment.id, attachment]));
  const recordingIds = [...new Set(items.flatMap((item) => item.refs.filter((ref) => ref.kind === 'recording' && ref.id).map((ref) => ref.id as string)))];
  const recordingHash = new Map<string, string | undefined>();
  for (let index = 0; index < recordingIds.length; index += 500) {
    const rows = await em.find(Recording, { id: { $in: recordingIds.slice(index, index + 500) } }, { fields: ['id', 'sha256', 'callId'] });
    for (const row of rows) recordingHash.set(row.id, row.sha256);
  }
  for (const item of items) {
    for (const ref of item.refs) {
      if (!ref.id) continue;
      const document = ref.kind === 'document' ? documentById.get(ref.id) : undefined;
      const attachment = ref.kind === 'attachment' ? attachmentById.get(ref.id) : undefined;
      if (document) Object.assign(ref, { sha256: ref.sha256 ?? document.sha256, name: document.purpose });
      if (attachment) Object.assign(ref, { sha256: ref.sha256 ?? attachment.sha256, name: attachment.fileName });
      if (ref.kind === 'recording') ref.sha256 ??= recordingHash.get(ref.id) ?? null;
    }
  }
}

interface CaseFacts {
  caseNumber: string;
  title: string;
  status: string;
  workflowId: string;
}

async function caseFacts(em: EntityManager, caseType: CaseType, caseId: string, timeZone: string): Promise<CaseFacts> {
  if (caseType === 'disclosure_request') {
    const request = await em.findOne(DisclosureRequest, caseId);
    if (!request) throw notFound();
    const kind = request.kind === 'viewing' ? '열람' : '제공';
    return {
      caseNumber: request.managementNumber,
      title: `녹취정보 ${kind} 신청 ${request.managementNumber}`,
      status: request.status,
      workflowId: request.workflowId,
    };
  }
  const application = await em.findOne(FullRecordingApplication, caseId, { populate: ['department'] });
  if (!application) throw notFound();
  const filed = formatKoreanDate(application.createdAt, timeZone);
  return {
    caseNumber: `${application.department.name} ${filed} 신청`,
    title: `전수 녹취 신청 — ${application.department.name} (${filed})`,
    status: application.status,
    workflowId: application.workflowId,
  };
}

/** Workflow events before audit entries at the same instant: a signal is received before the step it causes is written. */
function byTime(a: TimelineItem, b: TimelineItem): number {
  const at = Date.parse(a.at) - Date.parse(b.at);
  if (at !== 0) return at;
  if (a.source !== b.source) return a.source === 'workflow' ? -1 : 1;
  return (a.auditSeq ?? a.eventId ?? 0) - (b.auditSeq ?? b.eventId ?? 0);
}

export async function readCaseTimeline(em: EntityManager, deps: TimelineDeps, caseType: CaseType, caseId: string): Promise<CaseTimeline> {
  const facts = await caseFacts(em, caseType, caseId, deps.timeZone);
  // Refusals are logged against the route that was refused; a route naming this case is about this case.
  // A disclosure case also shows what happened to the keeping of its recordings — a hold decided or ended outside
  // the case, the deletion — so a reader sees whether the evidence was still there.
  const caseRecordings =
    caseType === 'disclosure_request'
      ? (await em.find(DisclosureRequestRecording, { request: caseId }, { fields: ['recording'] })).map((line) => line.recording.id)
      : [];
  const entries = await em.find(
    AuditEvent,
    {
      $or: [
        { targetType: caseType, targetId: caseId },
        { targetType: 'route', targetId: { $like: `% %/${caseId}%` } },
        ...(caseRecordings.length > 0 ? [{ targetType: 'recording', targetId: { $in: caseRecordings }, action: { $in: [...RECORDING_KEEPING_ACTIONS] } }] : []),
      ],
    },
    { orderBy: { seq: 'asc' } },
  );
  const [chain, documentRows, attachmentRows, histories] = await Promise.all([
    checkEntries(em, entries),
    em.find(GeneratedDocument, { caseType, caseId }, { orderBy: { createdAt: 'asc' } }),
    em.find(Attachment, { ownerType: caseType, ownerId: caseId }, { orderBy: { createdAt: 'asc' } }),
    loadHistories(em, deps, caseType, caseId, facts.workflowId),
  ]);
  const documents = documentRows.map((row) => ({
    id: row.id,
    kind: row.kind,
    purpose: row.purpose,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  }));
  const attachments = attachmentRows.map((row) => ({
    id: row.id,
    purpose: row.purpose,
    fileName: row.fileName,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt.toISOString(),
    uploadedBy: row.uploadedBy,
  }));
  const items = [...entries.map(auditItem), ...histories.loaded.flatMap((loaded) => workflowItems(loaded.history, loaded.workflowId))].sort(byTime);
  await enrich(em, items, documents, attachments);
  return {
    caseType,
    caseId,
    ...facts,
    generatedAt: new Date().toISOString(),
    chain,
    workflows: histories.loaded.map((loaded) => ({
      workflowId: loaded.workflowId,
      runId: loaded.runId,
      workflowType: loaded.workflowType,
      source: loaded.source,
      events: loaded.history.events?.length ?? 0,
      archiveSha256: loaded.archiveSha256,
    })),
    workflowProblems: histories.problems,
    documents,
    attachments,
    items,
  };
}
