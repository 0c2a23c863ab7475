/**
 * Keeps each closed case's workflow history beyond the Temporal server's own retention (R7, R11): the cases the
 * database says have ended are looked up in Temporal, and once their workflow has closed its history (and its child
 * workflows' histories) is sealed in the document store, listed in `archived_history`, and its SHA-256 appended to
 * the audit chain. Idempotent per workflow run: an archived run is skipped, so the sweep may run as often as wanted.
 */
import type { MikroORM } from '@mikro-orm/core';
import { getClient } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { ArchivedHistory, DisclosureRequest, FullRecordingApplication } from '../infra/db/entities';
import type { DocumentStore } from '../infra/documents/document-store';
import { encodeHistory, fetchClosedHistory, historyFacts, type ClosedExecution } from '../infra/temporal/history';

export interface HistoryArchiveActivityDeps {
  orm: MikroORM;
  documents: DocumentStore;
}

export interface HistoryArchiveResult {
  /** Runs archived by this call. */
  archived: number;
  /** Cases ended in the database whose workflow has not closed yet (it is finishing its last steps). */
  stillRunning: number;
  /** Cases whose history could not be archived this time, with why; the next sweep tries again. */
  failed: { workflowId: string; error: string }[];
}

/** Cases whose record is complete: these states are final in each lifecycle. */
const ENDED = {
  disclosure_request: ['closed', 'rejected', 'withdrawn'],
  full_recording_application: ['rejected', 'ended', 'revoked'],
} as const;

interface CaseRef {
  caseType: keyof typeof ENDED;
  caseId: string;
  workflowId: string;
}

export function createHistoryArchiveActivities({ orm, documents }: HistoryArchiveActivityDeps) {
  const endedCases = async (): Promise<CaseRef[]> => {
    const em = orm.em.fork();
    const archived = new Set((await em.find(ArchivedHistory, {}, { fields: ['workflowId'] })).map((row) => row.workflowId));
    const requests = await em.find(DisclosureRequest, { status: { $in: [...ENDED.disclosure_request] } }, { fields: ['id', 'workflowId'] });
    const applications = await em.find(FullRecordingApplication, { status: { $in: [...ENDED.full_recording_application] } }, { fields: ['id', 'workflowId'] });
    return [
      ...requests.map((row) => ({ caseType: 'disclosure_request' as const, caseId: row.id, workflowId: row.workflowId })),
      ...applications.map((row) => ({ caseType: 'full_recording_application' as const, caseId: row.id, workflowId: row.workflowId })),
    ].filter((ref) => !archived.has(ref.workflowId));
  };

  /** One closed run sealed and listed, with its audit entry, in one transaction (skipped if already archived). */
  const archiveRun = async (ref: CaseRef, workflowId: string, closed: ClosedExecution): Promise<void> => {
    if (await orm.em.fork().count(ArchivedHistory, { workflowId, runId: closed.runId })) return;
    const facts = historyFacts(closed.history);
    const { json, sha256 } = encodeHistory(closed.history);
    const row = new ArchivedHistory(
      workflowId,
      closed.runId,
      facts.workflowType,
      ref.caseType,
      ref.caseId,
      closed.status,
      closed.closedAt,
      facts.eventCount,
      sha256,
      json.length,
      '',
    );
    row.wrappedKey = documents.put(row.id, json).wrappedKey;
    try {
      await orm.em.fork().transactional(async (em) => {
        em.persist(row);
        await em.flush();
        await appendAuditEvent(em, {
          actor: 'system:historyArchive',
          role: 'system',
          sourceAddress: 'worker',
          action: 'workflow.history_archived',
          targetType: ref.caseType,
          targetId: ref.caseId,
          reason: `업무 흐름 이력 보관: ${facts.workflowType}`,
          detail: { workflowId, runId: closed.runId, workflowType: facts.workflowType, closeStatus: closed.status, eventCount: facts.eventCount, sha256 },
        });
      });
    } catch (error) {
      documents.remove(row.id);
      throw error;
    }
  };

  /**
   * A case: its children first (the Form 3 reminders are part of its record), the case's own run last, so a case is
   * listed as archived only once everything it started is; while any of it still runs, the next sweep tries again.
   */
  const archiveCase = async (ref: CaseRef, client: Client): Promise<'archived' | 'running'> => {
    const closed = await fetchClosedHistory(client, ref.workflowId);
    if (!closed) return 'running';
    const children: { workflowId: string; closed: ClosedExecution }[] = [];
    for (const child of historyFacts(closed.history).children) {
      const childClosed = await fetchClosedHistory(client, child.workflowId, child.runId);
      if (!childClosed) return 'running';
      children.push({ workflowId: child.workflowId, closed: childClosed });
    }
    for (const child of children) await archiveRun(ref, child.workflowId, child.closed);
    await archiveRun(ref, ref.workflowId, closed);
    return 'archived';
  };

  return {
    async archiveClosedCaseHistories(): Promise<HistoryArchiveResult> {
      const client = getClient();
      const result: HistoryArchiveResult = { archived: 0, stillRunning: 0, failed: [] };
      for (const ref of await endedCases()) {
        try {
          const outcome = await archiveCase(ref, client);
          if (outcome === 'archived') result.archived += 1;
          if (outcome === 'running') result.stillRunning += 1;
        } catch (error) {
          result.failed.push({ workflowId: ref.workflowId, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return result;
    },
  };
}
