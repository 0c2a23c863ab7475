/**
 * Registration: the bridge from the capture process to the system. A finished call (or one recovered after a
 * crash) becomes, in one transaction, a `Recording` row and a `recording.registered` / `recording.recovered` audit
 * entry; after the commit, the `afterRegistered` seam hands it on.
 *
 * Idempotent by call id: the capture process may crash between the commit and its own acknowledgement and
 * register the same call again. The same audio (same SHA-256) returns the existing row and writes nothing;
 * different audio under a registered call id is a conflict and never overwrites.
 *
 * Refusals keep the file: the store's file is only ever touched by deletion, so a call refused here (unknown
 * extension, incomplete metadata) stays on disk, is logged and counted as `unregistered`, and is registered by
 * running the registration again once an operator has fixed the extension table. The appliance lists such a recording
 * (`UnregisteredRecording`, capture/unregistered.ts) and destroys it at its due time if it is never registered; one
 * registered later keeps the due date it had while unregistered — the same, counted from the same call start — and
 * its `recording.registered` entry says it was unregistered, since when and why.
 *
 * A recording's row takes the store's recording id (the file's name) as its id, so the file, its unregistered row and
 * its recording row are one id; a storage key not of the store's shape (some suites) leaves the row a fresh id.
 *
 * Also here, because the server decides at a call's start what the registration later records: the recording mode
 * of an extension (R1), the record-button registry, and the decision whether an instant of a call is recorded.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { approvalInForce, modeAt } from '../domain/recording';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { retryOnUniqueRace } from '../infra/db/row-lock';
import { Extension, Recording, UnregisteredRecording } from '../infra/db/entities';
import type { UnregisteredCode } from '../domain/unregistered-recording';
import type { LegalCalendar } from '../domain/legal-period';
import type { Logger } from '../infra/logger';
import type { Period } from '../domain/period';
import { STORAGE_KEY_PATTERN, type FinalisedRecovery } from './recording-store';
import type { FinishedCall } from './rtsp-server';
import { CALL_DIRECTIONS, RECORDING_MODES, type CallDirection, type Codec, type ComplianceException, type RecordingMode } from '../domain/recording';

/** Everything a Recording row is made from, whichever way the call ended. */
export interface CallToRegister {
  readonly callId: string;
  /** Undefined when the device sent none: refused as incomplete, never guessed. */
  readonly extension: string | undefined;
  readonly otherParty: string | undefined;
  readonly direction: CallDirection | undefined;
  readonly startedAt: Date;
  /** Notice evidence as the device sent it with the call and with the record button (`announcement:played@…`, …). */
  readonly notices: readonly string[];
  readonly codec: Codec;
  readonly storageKey: string;
  readonly wrappedKey: string;
  readonly sha256: string;
  readonly durationMs: number;
  readonly sizeBytes: number;
  readonly recovered: boolean;
  /**
   * The mode the server applied when the call started (from `modeFor`, kept in the file's header for recovery).
   * Absent when the extension was unknown then, or for files older than that header field: then the extension's
   * mode at `startedAt` is derived from its `fullRecordingSince`.
   */
  readonly mode?: RecordingMode;
}

/** A call the RTSP server finished. */
export function fromFinishedCall(call: FinishedCall): CallToRegister {
  const { metadata, recording } = call;
  return {
    callId: metadata.callId,
    extension: metadata.extension,
    otherParty: metadata.otherParty,
    direction: metadata.direction,
    startedAt: metadata.startedAt,
    notices: metadata.notices,
    codec: call.codec,
    storageKey: recording.storageKey,
    wrappedKey: recording.wrappedKey,
    sha256: recording.sha256,
    durationMs: recording.durationMs,
    sizeBytes: recording.sizeBytes,
    recovered: false,
    mode: call.mode,
  };
}

/**
 * A recording finalised by `recoverUnfinished()`, or listed by `unacknowledged()`. The call's facts come from the
 * file's encrypted header, written by the RTSP server when it opened the recording (see `startRecording` there); a
 * header that does not have them is a typed refusal.
 * `completed` files were finished before the crash and lost only their rename, so they are not marked recovered.
 */
export function fromRecoveryReport(report: FinalisedRecovery): CallToRegister {
  const { metadata } = report;
  const text = (key: string): string | undefined => {
    const value = metadata[key];
    return typeof value === 'string' ? value : undefined;
  };
  const callId = text('callId');
  if (callId === undefined) {
    throw new RegistrationError('INCOMPLETE_METADATA', `recovered recording ${report.recordingId} has no call id`, report.recordingId);
  }
  const direction = text('direction');
  const mode = text('mode');
  return {
    callId,
    extension: text('extension'),
    otherParty: text('otherParty'),
    direction: CALL_DIRECTIONS.find((known) => known === direction),
    startedAt: report.startedAt,
    notices: parseNotices(text('notices')),
    codec: report.codec,
    storageKey: report.storageKey,
    wrappedKey: report.wrappedKey,
    sha256: report.sha256,
    durationMs: report.durationMs,
    sizeBytes: report.sizeBytes,
    recovered: report.outcome === 'recovered',
    mode: RECORDING_MODES.find((known) => known === mode),
  };
}

function parseNotices(json: string | undefined): string[] {
  if (json === undefined) return [];
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    // A header is authenticated, so this is a writer bug, not tampering; the call is still registered, without notice.
    return [];
  }
}

export type RegistrationErrorCode = 'UNKNOWN_EXTENSION' | 'INCOMPLETE_METADATA' | 'CALL_ID_CONFLICT';

/** A registration refused; the recording's file is kept (see the module comment). */
export class RegistrationError extends Error {
  constructor(
    readonly code: RegistrationErrorCode,
    message: string,
    readonly callId: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

export interface Registration {
  readonly outcome: 'registered' | 'already-registered';
  readonly recording: Recording;
  /** As stored on the row (`recording.compliance_exception`), for the caller's counters and logs. */
  readonly complianceException?: ComplianceException;
  /** Why the recording was unregistered until this registration (its `UnregisteredRecording` now marked registered). */
  readonly previouslyUnregistered?: UnregisteredCode;
}

export interface RegistrationStats {
  /** New rows from finished calls. */
  registered: number;
  /** New rows from crash recovery. */
  recovered: number;
  /** Retries of a call already registered with the same audio. */
  duplicates: number;
  /** Different audio under a registered call id. */
  conflicts: number;
  /** Refused for an unknown extension or incomplete metadata; the file waits for a re-run. */
  unregistered: number;
  complianceExceptions: number;
  /** `afterRegistered` failed after the commit; the caller's retry is idempotent and calls it again. */
  handOffFailures: number;
}

export interface RegistrarOptions {
  readonly orm: MikroORM;
  readonly calendar: LegalCalendar;
  /** `settings.retentionPeriod` (Art. 8(1)). */
  readonly retentionPeriod: Period;
  readonly logger: Logger;
  /**
   * Called after the commit, for new and for already registered calls alike: a crash between the commit and this
   * call is only repaired by the retry, which finds the row already there. It must therefore be idempotent by call id
   * (the retention lifecycle will start its workflow with the call id as workflow id).
   */
  readonly afterRegistered?: (registration: Registration) => Promise<void>;
}

export interface Registrar {
  register(call: CallToRegister): Promise<Registration>;
  readonly stats: Readonly<RegistrationStats>;
}

const AUDIT_ACTOR = 'system:capture';
const ANNOUNCEMENT_PREFIX = 'announcement:';
/** Recording.noticeEvidence's column length. */
const NOTICE_EVIDENCE_LENGTH = 255;

export function createRegistrar(options: RegistrarOptions): Registrar {
  const { orm, calendar, retentionPeriod, logger } = options;
  const stats: RegistrationStats = {
    registered: 0,
    recovered: 0,
    duplicates: 0,
    conflicts: 0,
    unregistered: 0,
    complianceExceptions: 0,
    handOffFailures: 0,
  };

  const attempt = (call: CallToRegister): Promise<Registration> =>
    orm.em.fork().transactional(async (em) => {
      const existing = await em.findOne(Recording, { callId: call.callId });
      if (existing) {
        if (existing.sha256 !== call.sha256) {
          throw new RegistrationError('CALL_ID_CONFLICT', `call ${call.callId} is registered with different audio (recording ${existing.id})`, call.callId);
        }
        return { outcome: 'already-registered', recording: existing, complianceException: existing.complianceException };
      }
      if (call.extension === undefined || call.direction === undefined) {
        throw new RegistrationError(
          'INCOMPLETE_METADATA',
          `call ${call.callId} lacks ${call.extension === undefined ? 'its extension' : 'its direction'}`,
          call.callId,
        );
      }
      const extension = await em.findOne(Extension, { number: call.extension });
      if (!extension) {
        throw new RegistrationError('UNKNOWN_EXTENSION', `extension ${call.extension} is not in the extension table`, call.callId);
      }
      const mode = call.mode ?? modeAt(extension, call.startedAt);
      const recording = new Recording(
        call.callId,
        extension,
        call.startedAt,
        call.direction,
        mode,
        call.codec,
        calendar.retentionDueAt(call.startedAt, retentionPeriod),
      );
      const storeId = STORAGE_KEY_PATTERN.exec(call.storageKey)?.[1];
      if (storeId !== undefined) recording.id = storeId;
      // Kept unregistered until now (the extension added since): registered with the due date it had, never a later one.
      const earlier = storeId === undefined ? null : await em.findOne(UnregisteredRecording, { id: storeId, registeredAt: null, destroyedAt: null });
      if (earlier) {
        if (earlier.retentionDueAt < recording.retentionDueAt) recording.retentionDueAt = earlier.retentionDueAt;
        earlier.registeredAt = new Date();
      }
      recording.endedAt = new Date(call.startedAt.getTime() + call.durationMs);
      recording.otherPartyNumber = call.otherParty;
      recording.noticeGiven = call.notices.length > 0;
      recording.noticeEvidence = noticeEvidence(call.notices);
      recording.durationMs = call.durationMs;
      recording.sizeBytes = call.sizeBytes;
      recording.storageKey = call.storageKey;
      recording.sha256 = call.sha256;
      recording.wrappedKey = call.wrappedKey;
      recording.recovered = call.recovered;
      recording.complianceException = complianceOf(mode, call.notices, approvalInForce(extension, call.startedAt));
      em.persist(recording);
      // The row first, then the chain head: a concurrent registration of the same call then waits on the unique
      // index before it takes the chain head lock, so the two never hold each other's lock (no deadlock).
      await em.flush();
      const complianceException = recording.complianceException;
      await appendAuditEvent(em, {
        actor: AUDIT_ACTOR,
        role: 'system',
        sourceAddress: 'capture',
        action: call.recovered ? 'recording.recovered' : 'recording.registered',
        targetType: 'recording',
        targetId: recording.id,
        reason: `${call.recovered ? '장애 복구 후 녹취 등록' : '통화 녹취 등록'}${earlier ? ' (미등록 녹취였음)' : ''}`,
        detail: {
          callId: call.callId,
          extension: call.extension,
          sha256: call.sha256,
          durationMs: call.durationMs,
          complianceException,
          ...(earlier
            ? {
                previouslyUnregistered: {
                  code: earlier.code,
                  since: earlier.firstRefusedAt.toISOString(),
                  attempts: earlier.attempts,
                  retentionDueAt: earlier.retentionDueAt.toISOString(),
                },
              }
            : {}),
        },
      });
      return { outcome: 'registered', recording, complianceException, ...(earlier ? { previouslyUnregistered: earlier.code } : {}) };
    });

  // Two registrations of one call at once both found no row; the loser reads the winner's row instead.
  const registerOnce = (call: CallToRegister): Promise<Registration> => retryOnUniqueRace(() => attempt(call));

  return {
    stats,
    async register(call) {
      const fields = { callId: call.callId, extension: call.extension, sha256: call.sha256, storageKey: call.storageKey };
      let registration: Registration;
      try {
        registration = await registerOnce(call);
      } catch (error) {
        if (error instanceof RegistrationError) {
          if (error.code === 'CALL_ID_CONFLICT') stats.conflicts++;
          else stats.unregistered++;
          logger.error('recording not registered; its file is kept', { ...fields, code: error.code, error });
        }
        throw error;
      }
      if (registration.outcome === 'registered') {
        if (call.recovered) stats.recovered++;
        else stats.registered++;
        if (registration.complianceException) {
          stats.complianceExceptions++;
          logger.warn('recording registered with a compliance exception', {
            ...fields,
            mode: registration.recording.mode,
            exception: registration.complianceException,
            recordingId: registration.recording.id,
          });
        }
        logger.info('recording registered', {
          ...fields,
          recordingId: registration.recording.id,
          recovered: call.recovered,
          ...(registration.previouslyUnregistered ? { previouslyUnregistered: registration.previouslyUnregistered } : {}),
        });
      } else {
        stats.duplicates++;
        logger.info('recording already registered', { ...fields, recordingId: registration.recording.id });
      }
      try {
        await options.afterRegistered?.(registration);
      } catch (error) {
        stats.handOffFailures++;
        logger.error('registered recording not handed on', { ...fields, recordingId: registration.recording.id, error });
        throw error;
      }
      return registration;
    },
  };
}

/**
 * Art. 6(2) and Art. 7 for one call. A full recording needs an approval in force at the call's start (the one the
 * appliance stored with the extension from its grant); without it the call is `full_without_approval`, the graver
 * breach, whatever its notice. A full recording is automatic, so only the announcement played before the call tells the
 * other party; a selective one is started by the button mid-call, and the PBX's short notice or the official's own
 * word, reported with the call or with the press, is what R3 asks for.
 */
function complianceOf(mode: RecordingMode, notices: readonly string[], approved: boolean): ComplianceException | undefined {
  if (mode === 'full' && !approved) return 'full_without_approval';
  const given = mode === 'full' ? notices.some((notice) => notice.startsWith(ANNOUNCEMENT_PREFIX)) : notices.length > 0;
  return given ? undefined : 'notice_missing';
}

/**
 * The column holds 255 characters, the device may send 8 notices of 256. The announcement comes first since it is
 * the evidence R3 asks for; the full list stays in the recording file's encrypted header.
 */
function noticeEvidence(notices: readonly string[]): string | undefined {
  if (notices.length === 0) return undefined;
  const ordered = [
    ...notices.filter((notice) => notice.startsWith(ANNOUNCEMENT_PREFIX)),
    ...notices.filter((notice) => !notice.startsWith(ANNOUNCEMENT_PREFIX)),
  ];
  const joined = ordered.join('\n');
  const characters = [...joined];
  return characters.length <= NOTICE_EVIDENCE_LENGTH ? joined : `${characters.slice(0, NOTICE_EVIDENCE_LENGTH - 1).join('')}…`;
}

/** The mode the server applies to a call starting now; undefined for an extension the table does not know. */
export async function modeFor(em: EntityManager, extensionNumber: string, at: Date = new Date()): Promise<RecordingMode | undefined> {
  const extension = await em.findOne(Extension, { number: extensionNumber });
  return extension ? modeAt(extension, at) : undefined;
}
