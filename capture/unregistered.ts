/**
 * Unregistered recordings (issue 19): a call the appliance recorded and keeps but could not register — an extension
 * the table does not know, metadata missing, a call id already registered with other audio, a file it cannot read —
 * is on the clock like a registered one. The first refusal lists it (`UnregisteredRecording`, audited once as
 * `recording.unregistered` with the reason, again only if the reason changes; later attempts are only counted), the
 * managing department sees why and since when, and the appliance's reconciliation destroys its file at its due time
 * as thoroughly as a registered recording's (key region overwritten, synced, unlinked), marking the row and auditing
 * `recording.unregistered_destroyed`. Registered after all (the extension added), it keeps its due date: the registrar
 * marks the row registered in the registration's own transaction (capture/registration.ts).
 *
 * The due date is the registered one's — the same calendar and period from the call's start, read from the file's
 * header. A file whose header cannot be read has no known start: then the file's last change (when the recording was
 * finished) is used, or, when not even that can be asked, the instant the appliance first found it, and the row says
 * which (`startedAtBasis`). A recording under a hold is a registered one, so none of these is ever held.
 */
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent, type AuditInput } from '../infra/audit/audit-log';
import { retryOnUniqueRace } from '../infra/db/row-lock';
import { UnregisteredRecording } from '../infra/db/entities';
import type { LegalCalendar } from '../domain/legal-period';
import type { Logger } from '../infra/logger';
import type { Period } from '../domain/period';
import { STARTED_AT_BASIS_LABELS, UNREGISTERED_CODE_LABELS, type StartedAtBasis, type UnregisteredCode } from '../domain/unregistered-recording';
import type { FinalisedRecovery, RecordingStore } from './recording-store';
import type { FinishedCall } from './rtsp-server';

/** What the appliance knows of a kept recording's file when its registration is refused. */
export interface KeptFile {
  /** The store's recording id (the file's name). */
  readonly recordingId: string;
  readonly storageKey?: string;
  /** The call's start, from the file's header; absent when the header cannot be read. */
  readonly startedAt?: Date;
  readonly callId?: string;
  /** As the device sent it. */
  readonly extension?: string;
  readonly sha256?: string;
  /** The file's last change, for a file whose header cannot be read. */
  readonly modifiedAt?: Date;
}

export function keptFileOfCall(call: FinishedCall): KeptFile {
  return {
    recordingId: call.recordingId,
    storageKey: call.recording.storageKey,
    startedAt: call.metadata.startedAt,
    callId: call.metadata.callId,
    extension: call.metadata.extension,
    sha256: call.recording.sha256,
  };
}

export function keptFileOfReport(report: FinalisedRecovery): KeptFile {
  const text = (key: string) => {
    const value = report.metadata[key];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    recordingId: report.recordingId,
    storageKey: report.storageKey,
    startedAt: report.startedAt,
    callId: text('callId'),
    extension: text('extension'),
    sha256: report.sha256,
  };
}

export interface Refusal {
  readonly code: UnregisteredCode;
  /** The error's own words (English from the registrar, or the store's), kept in the audit entry's detail. */
  readonly message: string;
}

export interface UnregisteredRecordings {
  /** A refused registration: listed the first time (audited), its attempt counted afterwards. */
  refused(file: KeptFile, refusal: Refusal): Promise<void>;
  /**
   * Destroys the files of unregistered recordings due by `now` (a bounded number per call, oldest due first), skipping
   * and claiming ids in `busy` — the registrations under way — so that none is registered and destroyed at once.
   * Resolves to how many were destroyed.
   */
  destroyDue(now: Date, busy: Set<string>): Promise<number>;
  readonly stats: Readonly<{ listed: number; reasonChanged: number; destroyed: number }>;
}

const ACTOR = { actor: 'system:capture', role: 'system', sourceAddress: 'capture' } as const;
/** Destroyed per reconciliation at most; the rest wait a minute. */
const DESTROY_BATCH = 100;
const REASON_LENGTH = 500;

/** The Korean reason with the particulars, as the list shows it. */
export function unregisteredReason(file: KeptFile, refusal: Refusal, basis: StartedAtBasis): string {
  const label = UNREGISTERED_CODE_LABELS[refusal.code];
  let text: string;
  switch (refusal.code) {
    case 'UNKNOWN_EXTENSION':
      text = `${label} (${file.extension ?? '?'})`;
      break;
    case 'INCOMPLETE_METADATA':
      text = `${label}: ${file.callId === undefined ? '통화 ID 없음' : file.extension === undefined ? '내선 없음' : '통화 방향 없음'}`;
      break;
    case 'CALL_ID_CONFLICT':
      text = `${label} (통화 ID ${file.callId ?? '?'})`;
      break;
    case 'UNREADABLE':
      text = `${label}: ${refusal.message}`;
      break;
  }
  if (basis !== 'call') text = `${text} — 보존기간 기산: ${STARTED_AT_BASIS_LABELS[basis]}`;
  const characters = [...text];
  return characters.length <= REASON_LENGTH ? text : `${characters.slice(0, REASON_LENGTH - 1).join('')}…`;
}

export function createUnregisteredRecordings(options: {
  orm: MikroORM;
  store: RecordingStore;
  calendar: LegalCalendar;
  retentionPeriod: Period;
  logger: Logger;
}): UnregisteredRecordings {
  const { orm, store, calendar, retentionPeriod, logger } = options;
  const stats = { listed: 0, reasonChanged: 0, destroyed: 0 };
  const dueOf = (startedAt: Date) => calendar.retentionDueAt(startedAt, retentionPeriod);

  const facts = (row: UnregisteredRecording) => ({
    callId: row.callId ?? null,
    extension: row.extension ?? null,
    code: row.code,
    storageKey: row.storageKey ?? null,
    sha256: row.sha256 ?? null,
    startedAt: row.startedAt.toISOString(),
    startedAtBasis: row.startedAtBasis,
    retentionDueAt: row.retentionDueAt.toISOString(),
  });
  const listedEntry = (row: UnregisteredRecording, refusal: Refusal, previousCode?: UnregisteredCode): AuditInput => ({
    ...ACTOR,
    action: 'recording.unregistered',
    targetType: 'recording',
    targetId: row.id,
    reason: `미등록 녹취: ${row.reason}`,
    detail: { ...facts(row), message: refusal.message.slice(0, 500), ...(previousCode ? { previousCode } : {}) },
  });

  return {
    stats,
    async refused(file, refusal) {
      const outcome = await retryOnUniqueRace(() =>
        orm.em.fork().transactional(async (em) => {
          const now = new Date();
          const row = await em.findOne(UnregisteredRecording, file.recordingId);
          if (!row) {
            const [startedAt, basis]: [Date, StartedAtBasis] = file.startedAt
              ? [file.startedAt, 'call']
              : file.modifiedAt
                ? [file.modifiedAt, 'file_modified']
                : [now, 'first_seen'];
            const listed = new UnregisteredRecording(
              file.recordingId,
              refusal.code,
              unregisteredReason(file, refusal, basis),
              startedAt,
              basis,
              dueOf(startedAt),
              now,
              now,
            );
            listed.callId = file.callId;
            listed.extension = file.extension;
            listed.storageKey = file.storageKey;
            listed.sha256 = file.sha256;
            em.persist(listed);
            await em.flush();
            await appendAuditEvent(em, listedEntry(listed, refusal));
            return 'listed' as const;
          }
          // Registered or destroyed since: nothing of it is waiting any more.
          if (row.registeredAt || row.destroyedAt) return 'closed' as const;
          row.lastTriedAt = now;
          row.attempts += 1;
          row.callId ??= file.callId;
          row.extension ??= file.extension;
          row.storageKey ??= file.storageKey;
          row.sha256 ??= file.sha256;
          // A file that can be read now says when its call started: counted from there, never later than before.
          const started = row.startedAtBasis === 'call' ? undefined : file.startedAt;
          const refined = started !== undefined;
          if (started) {
            row.startedAt = started;
            row.startedAtBasis = 'call';
            const due = dueOf(row.startedAt);
            if (due < row.retentionDueAt) row.retentionDueAt = due;
          }
          const previousCode = row.code;
          if (previousCode === refusal.code && !refined) {
            await em.flush();
            return 'tried' as const;
          }
          row.code = refusal.code;
          row.reason = unregisteredReason(file, refusal, row.startedAtBasis);
          await em.flush();
          await appendAuditEvent(em, listedEntry(row, refusal, previousCode === refusal.code ? undefined : previousCode));
          return 'changed' as const;
        }),
      );
      if (outcome === 'listed') {
        stats.listed++;
        logger.warn('recording kept unregistered: listed for the managing department and destroyed at its due time', {
          recordingId: file.recordingId,
          code: refusal.code,
        });
      } else if (outcome === 'changed') {
        stats.reasonChanged++;
        logger.warn('unregistered recording: its reason changed', { recordingId: file.recordingId, code: refusal.code });
      }
    },

    async destroyDue(now, busy) {
      const due = await orm.em
        .fork()
        .find(
          UnregisteredRecording,
          { retentionDueAt: { $lte: now }, registeredAt: null, destroyedAt: null },
          { orderBy: { retentionDueAt: 'asc', id: 'asc' }, limit: DESTROY_BATCH },
        );
      let destroyed = 0;
      for (const row of due) {
        if (busy.has(row.id)) continue;
        busy.add(row.id);
        try {
          await store.purge(row.id, row.storageKey);
          // The file is gone before the row says so: a crash between the two destroys it again, which is harmless.
          const marked = await orm.em.fork().transactional(async (em) => {
            const current = await em.findOne(UnregisteredRecording, { id: row.id, destroyedAt: null });
            if (!current) return false;
            current.destroyedAt = now;
            await em.flush();
            await appendAuditEvent(em, {
              ...ACTOR,
              action: 'recording.unregistered_destroyed',
              targetType: 'recording',
              targetId: current.id,
              reason: '미등록 녹취 보존기간 경과 삭제 (제8조 제1항)',
              detail: { ...facts(current), firstRefusedAt: current.firstRefusedAt.toISOString(), attempts: current.attempts },
            });
            return true;
          });
          if (marked) {
            destroyed++;
            stats.destroyed++;
            logger.info('unregistered recording destroyed at its due time', {
              recordingId: row.id,
              code: row.code,
              retentionDueAt: row.retentionDueAt.toISOString(),
            });
          }
        } finally {
          busy.delete(row.id);
        }
      }
      return destroyed;
    },
  };
}
