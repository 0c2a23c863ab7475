/**
 * The capture appliance put together (Art. 4: it sits in the city hall telecom room, a process of its own):
 * the encrypted store, crash recovery, the RTSP server with R1's modes and record button, the registration of
 * every finished call, and the local control API.
 *
 * Start-up order is what makes a crash cost at most the last second: first every `.partial` left by a crash is
 * finalised with what was flushed (recoverUnfinished), then every finished recording the database does not have yet
 * is registered (the store's unacknowledged list), and only then are calls accepted. The same reconciliation runs
 * every minute, so a registration that failed while the database was away is done once it is back.
 *
 * Modes are backed by approvals (issue 18, Art. 6(2)): a switch to full carries the approved application's grant, signed
 * by the back office (infra/grants.ts), and the appliance keeps that approval's id and end with the extension. It ends
 * the full recording at that end by itself — a timer, and the mode check of every reconciliation — so the end holds
 * while the worker is down; and an extension found in full with no approval in force (its end passed, its application
 * no longer approved, or none at all) is switched back to selective at once, and flagged to the chief.
 *
 * A finished call the registration refuses (an extension the table does not know, metadata missing, a call id already
 * registered with other audio) or a file that cannot be read is kept, listed as unregistered for the managing
 * department and destroyed by the reconciliation at the due time a registered recording would have (issue 19,
 * capture/unregistered.ts); the control API's inventory walks the store for the daily retention proof
 * (capture/inventory.ts).
 *
 * Failed RTSP logins reach the audit chain as one `rtsp.auth_failures` entry per address per minute while they go on
 * (how many, which device names, whether the address or a name was blocked), and once more at stop: a guessing
 * attack is on the record without writing an entry per guess.
 */
import { packageSigningPublicKey, type CaptureClient } from '../infra/keys';
import type { KeyObject } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/core';
import { Extension, FullRecordingApplication, holdInForce, Notification, Recording, RecordingHold, UsedGrant } from '../infra/db/entities';
import { verifyGrant, type GrantPayload } from '../infra/grants';
import { approvalInForce } from '../domain/recording';
import type { FullRecordingStatus } from '../domain/full-recording';
import type { LegalCalendar } from '../domain/legal-period';
import type { Logger } from '../infra/logger';
import type { Period } from '../domain/period';
import { appendAuditEvent, appendAuditEvents, type AuditInput } from '../infra/audit/audit-log';
import type { AuthFailureSummary } from './auth-throttle';
import { createControlApi, type ControlApi } from './control-api';
import {
  ControlError,
  GrantError,
  type ControlCaller,
  type ControlErrorCode,
  type ControlRouteInfo,
  type ExtensionModeView,
  type InventoryReport,
  type ModeChange,
} from './control-contract';
import { createInventory, INVENTORY_GRACE_MS } from './inventory';
import { buildDisclosurePackage, PackageAudioMismatchError, type PackageRecording } from './disclosure-package';
import { buildPartyExport, pcmWavOf } from './party-export';
import { createRecordingStore, RecordingCorruptError, RecordingNotFoundError, type RecordingStore } from './recording-store';
import {
  createRegistrar,
  fromFinishedCall,
  fromRecoveryReport,
  modeFor,
  type CallToRegister,
  type Registrar,
  type RegistrarOptions,
  type RegistrationError,
} from './registration';
import { createUnregisteredRecordings, keptFileOfCall, keptFileOfReport, type KeptFile, type Refusal } from './unregistered';
import { RtspServer } from './rtsp-server';
import { RecordButton } from './record-button';

export interface ApplianceOptions {
  readonly dataDir: string;
  readonly masterKey: Buffer;
  readonly orm: MikroORM;
  readonly calendar: LegalCalendar;
  readonly retentionPeriod: Period;
  readonly logger: Logger;
  readonly rtsp: {
    readonly host: string;
    readonly port: number;
    readonly rtpPorts: { readonly first: number; readonly last: number };
    readonly sessionTimeoutMs: number;
    /** Digest passwords of the devices allowed to push calls, by user name. */
    readonly devices: ReadonlyMap<string, string>;
    /** The PBX's addresses and ranges (CAPTURE_RTSP_TRUSTED_ADDRESSES); see RtspServerOptions. */
    readonly trustedAddresses?: readonly string[];
  };
  /** Each control API client's bearer token (CAPTURE_CONTROL_*_TOKEN_FILE), which tells the clients apart. */
  readonly control: { readonly port: number; readonly tokens: Readonly<Record<CaptureClient, string>> };
  /**
   * What the Art. 9 provision package needs (capture/disclosure-package.ts): the Ed25519 key that signs its manifest
   * (PACKAGE_SIGNING_KEY_FILE) and the municipality it names. Without it packages are refused (NOT_CONFIGURED): suites
   * that never build one need no key.
   */
  readonly provision?: { readonly signingKey: KeyObject; readonly municipalityName?: string };
  /**
   * The public half of the back office's grant key (GRANT_PUBLIC_KEY_FILE): audio leaves, and an extension records in
   * full, only against its grants.
   */
  readonly grantPublicKey: KeyObject;
  /** The hand-off after a recording's row is committed (the retention lifecycle); idempotent by call id. */
  readonly afterRegistered?: RegistrarOptions['afterRegistered'];
  readonly reconcileIntervalMs?: number;
  /**
   * The clock deletion checks due dates against. Only the retention workflow suite sets it: there the Temporal
   * test server's skipped clock runs weeks ahead of the wall clock.
   */
  readonly clock?: () => Date;
}

export interface StartupRecovery {
  /** Finalised from what had been flushed before a crash. */
  recovered: number;
  /** Finished before the crash, only their rename was lost. */
  completed: number;
  /** Died before any audio was flushed. */
  discarded: number;
  /** Could not be finalised (e.g. the master key does not open them); left for a person. */
  failed: number;
}

export interface Appliance {
  readonly rtspPort: number;
  readonly controlPort: number;
  readonly server: RtspServer;
  readonly registrar: Registrar;
  readonly store: RecordingStore;
  readonly recovery: Readonly<StartupRecovery>;
  /** The control API's routes, for the test that proves audio leaves only by the party export (R6). */
  readonly controlRoutes: readonly ControlRouteInfo[];
  /**
   * Destroys every unregistered recording past its due time, registers every finished recording not registered yet
   * (listing those refused as unregistered), and switches back every extension in full with no approval in force;
   * resolves to how many recordings are still waiting.
   */
  reconcile(): Promise<number>;
  stop(): Promise<void>;
}

const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;
/** Applications whose approval keeps their extensions in full (as activities/full-recording.ts has it). */
const APPROVALS_IN_FORCE: readonly FullRecordingStatus[] = ['approved', 'active'];
/** setTimeout's longest delay; an approval ending later is ended by the reconciliation running by then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How often failed RTSP logins are summarised into the audit chain while they go on. */
const AUTH_AUDIT_INTERVAL_MS = 60_000;
const REALM = 'gm-telephone-recording';

/** The failed logins the appliance sums per address for the audit chain: devices over RTSP, clients of the control API. */
const AUTH_FAILURE_KINDS = {
  rtsp: { action: 'rtsp.auth_failures', targetType: 'rtsp_source', reason: 'RTSP 장치 인증 실패' },
  control: { action: 'capture_control.unauthorized', targetType: 'control_client', reason: '녹취 장치 제어 API 인증 실패 (토큰 없음·불일치)' },
} as const;

/**
 * What the appliance's own audit entries say of who asked: the client its token proved (R11), never a name from
 * the request body alone; the client's address as the socket had it.
 */
function callerIdentity(caller: ControlCaller): Pick<AuditInput, 'actor' | 'role' | 'sourceAddress'> {
  return { actor: `capture-client:${caller.client}`, role: 'system', sourceAddress: caller.address };
}

/** What a release's audit entry says of the grant it was released against: which, for whom, for which case. */
function grantDetail(grant: GrantPayload) {
  return { grantId: grant.id, grantSubject: grant.subject, grantCase: grant.case };
}

function authFailureEntry(kind: keyof typeof AUTH_FAILURE_KINDS, summary: AuthFailureSummary): AuditInput {
  const { address, ...detail } = summary;
  const { action, targetType, reason } = AUTH_FAILURE_KINDS[kind];
  return {
    actor: 'system:capture',
    role: 'system',
    sourceAddress: address,
    action,
    targetType,
    targetId: address,
    reason: summary.blocked ? `${reason} 반복: 차단함` : reason,
    detail,
  };
}

export async function startAppliance(options: ApplianceOptions): Promise<Appliance> {
  const logger = options.logger.child({ component: 'capture' });
  const { orm } = options;
  const store = createRecordingStore({ dataDir: options.dataDir, masterKey: options.masterKey });
  const registrar = createRegistrar({
    orm,
    calendar: options.calendar,
    retentionPeriod: options.retentionPeriod,
    logger,
    afterRegistered: options.afterRegistered,
  });
  const button = new RecordButton();
  const startedAt = new Date();
  const now = options.clock ?? (() => new Date());
  const unregistered = createUnregisteredRecordings({ orm, store, calendar: options.calendar, retentionPeriod: options.retentionPeriod, logger });
  /** A refusal listed (or its attempt counted); a failure is logged and the next reconciliation tries again. */
  const listUnregistered = (file: KeptFile, refusal: Refusal): Promise<void> =>
    unregistered
      .refused(file, refusal)
      .catch((error: unknown) =>
        logger.error('unregistered recording not listed; tried again at the next reconciliation', { recordingId: file.recordingId, error }),
      );

  /** Recordings being registered now: the periodic reconciliation leaves them to the registration under way. */
  const inFlight = new Set<string>();
  /** Unreadable files are reported once per process, not every minute. */
  const reportedUnreadable = new Set<string>();
  let waiting = 0;
  const registerOne = async (recordingId: string, call: () => CallToRegister, file: () => KeptFile): Promise<boolean> => {
    if (inFlight.has(recordingId)) return false;
    inFlight.add(recordingId);
    try {
      await registrar.register(call());
      await store.acknowledge(recordingId);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'RegistrationError') {
        // The registrar has logged and counted it (a header without a call id is refused before it gets there); the
        // store keeps it unacknowledged for the next reconciliation, and it is listed as unregistered meanwhile.
        const { code, message } = error as RegistrationError;
        await listUnregistered(file(), { code, message });
      } else {
        logger.error('recording registration failed; retried at the next reconciliation', { recordingId, error });
      }
      return false;
    } finally {
      inFlight.delete(recordingId);
    }
  };

  const reconcile = async (): Promise<number> => {
    // First what is due goes: an unregistered recording past its due time is destroyed rather than registered.
    await unregistered
      .destroyDue(now(), inFlight)
      .catch((error: unknown) => logger.error('unregistered recordings past due not destroyed; tried again at the next reconciliation', { error }));
    const { found, failed } = await store.unacknowledged();
    for (const { recordingId, error, storageKey, modifiedAt } of failed) {
      if (!reportedUnreadable.has(recordingId)) {
        reportedUnreadable.add(recordingId);
        logger.error('finished recording cannot be read for registration; listed as unregistered for a person', { recordingId, error });
      }
      await listUnregistered({ recordingId, storageKey, modifiedAt }, { code: 'UNREADABLE', message: error.message });
    }
    let left = failed.length;
    for (const report of found) {
      if (
        !(await registerOne(
          report.recordingId,
          () => fromRecoveryReport(report),
          () => keptFileOfReport(report),
        ))
      )
        left++;
    }
    waiting = left;
    await enforceApprovals().catch((error: unknown) => logger.error('mode check against approvals failed; tried again at the next reconciliation', { error }));
    return left;
  };

  const modes = { refused: 0, endedByAppliance: 0, withoutApproval: 0 };
  /** One timer per extension in full, at its approval's end. */
  const approvalEnds = new Map<string, NodeJS.Timeout>();
  let enforcing: Promise<void> = Promise.resolve();
  const enforceApprovals = (): Promise<void> => (enforcing = enforcing.then(checkModes, checkModes));
  const scheduleEnd = (number: string, until: Date | undefined) => {
    clearTimeout(approvalEnds.get(number));
    approvalEnds.delete(number);
    if (until === undefined || stopping) return;
    const timer = setTimeout(
      () => {
        approvalEnds.delete(number);
        enforceApprovals().catch((error: unknown) => logger.error('approval end not enforced; tried again at the next reconciliation', { error }));
      },
      Math.min(MAX_TIMER_MS, Math.max(0, until.getTime() - Date.now())),
    );
    timer.unref();
    approvalEnds.set(number, timer);
  };

  /** Why an extension in full has no approval in force now, or undefined when it has one. */
  const missingApproval = async (extension: Extension, now: Date): Promise<'approval_ended' | 'no_approval_in_force' | undefined> => {
    if (!extension.fullRecordingApprovalId) return 'no_approval_in_force';
    if (!approvalInForce(extension, now)) return 'approval_ended';
    // The stored grant is the appliance's own proof; the shared database says whether the application still stands.
    const application = await orm.em.fork().findOne(FullRecordingApplication, { id: extension.fullRecordingApprovalId }, { populate: ['extensions'] });
    const covered = application?.extensions.getItems().some((covering) => covering.number === extension.number);
    return application && covered && APPROVALS_IN_FORCE.includes(application.status) ? undefined : 'no_approval_in_force';
  };

  /** Every extension in full against its approval: one with none in force goes back to selective, audited (and flagged). */
  async function checkModes(): Promise<void> {
    const now = new Date();
    for (const extension of await orm.em.fork().find(Extension, { mode: 'full' })) {
      const cause = await missingApproval(extension, now);
      if (cause === undefined) {
        scheduleEnd(extension.number, extension.fullRecordingApprovedUntil);
        continue;
      }
      await switchBack(extension.number, cause, now);
    }
  }

  const switchBack = async (number: string, cause: 'approval_ended' | 'no_approval_in_force', now: Date) => {
    const switched = await orm.em.fork().transactional(async (em) => {
      const extension = await em.findOne(Extension, { number });
      // Changed since it was read (a fresh grant, another switch): the next check judges it as it is then.
      if (extension?.mode !== 'full' || (await missingApproval(extension, now)) !== cause) return undefined;
      const since = extension.fullRecordingSince;
      const { fullRecordingApprovalId: approvalId, fullRecordingApprovedUntil: approvedUntil } = extension;
      extension.mode = 'selective';
      extension.fullRecordingSince = undefined;
      await em.flush();
      const ended = cause === 'approval_ended';
      const reason = ended
        ? `전수 녹취 승인 기간 종료 (${approvalId}, ${approvedUntil?.toISOString()}): 녹취 장치가 선택적 녹취로 되돌림`
        : '승인이 유효하지 않은 전수 녹취 발견: 녹취 장치가 선택적 녹취로 되돌림';
      await appendAuditEvent(em, {
        actor: 'system:capture',
        role: 'system',
        sourceAddress: 'capture',
        action: 'extension.mode_changed',
        targetType: 'extension',
        targetId: number,
        reason,
        detail: { from: 'full', to: 'selective', cause, approvalId, approvedUntil: approvedUntil?.toISOString(), fullRecordingSince: since?.toISOString() },
      });
      if (!ended) {
        // On the chief's dashboard (in-app notifications): full recording without approval is a breach of Art. 6(2).
        const notification = new Notification(
          `capture:full-without-approval:${number}:${since?.toISOString() ?? now.toISOString()}`,
          'in_app',
          'chief',
          '[경고] 승인 없는 전수 녹취',
          `내선 ${number}이(가) 유효한 전수 녹취 승인 없이 전수 녹취 중이어서 녹취 장치가 선택적 녹취로 되돌렸습니다. 그동안 녹취된 통화는 준수 예외(승인 없는 전수 녹취)로 등록됩니다.`,
          'extension',
          number,
          now,
        );
        notification.status = 'sent';
        notification.sentAt = now;
        em.persist(notification);
      }
      return { reason, approvalId };
    });
    if (!switched) return;
    scheduleEnd(number, undefined);
    const fields = { extension: number, cause, approvalId: switched.approvalId };
    if (cause === 'approval_ended') {
      modes.endedByAppliance++;
      logger.info('approval ended: extension switched back to selective by the appliance', fields);
    } else {
      modes.withoutApproval++;
      logger.warn('full recording without an approval in force: extension switched back to selective and flagged', fields);
    }
  };

  const recovery: StartupRecovery = { recovered: 0, completed: 0, discarded: 0, failed: 0 };
  for (const report of await store.recoverUnfinished()) {
    recovery[report.outcome]++;
    if (report.outcome === 'failed') {
      logger.error('unfinished recording could not be recovered; file left as it is, listed as unregistered', {
        recordingId: report.recordingId,
        error: report.error,
      });
      await listUnregistered({ recordingId: report.recordingId, modifiedAt: report.modifiedAt }, { code: 'UNREADABLE', message: report.error.message });
    } else if (report.outcome === 'discarded')
      logger.warn('unfinished recording discarded: nothing had been flushed', { recordingId: report.recordingId, reason: report.reason });
    else
      logger.info('unfinished recording finalised after a crash', {
        recordingId: report.recordingId,
        outcome: report.outcome,
        durationMs: report.durationMs,
        droppedBytes: report.droppedBytes,
      });
  }
  let stopping: Promise<void> | undefined;
  await reconcile();

  const server = new RtspServer({
    store,
    logger,
    realm: REALM,
    devicePassword: (username) => options.rtsp.devices.get(username),
    host: options.rtsp.host,
    port: options.rtsp.port,
    rtpPorts: options.rtsp.rtpPorts,
    sessionTimeoutMs: options.rtsp.sessionTimeoutMs,
    trustedAddresses: options.rtsp.trustedAddresses,
    recordButton: button,
    modeFor: ({ extension }) => (extension === undefined ? Promise.resolve(undefined) : modeFor(orm.em.fork(), extension)),
  });
  server.onRecordingFinished((call) =>
    registerOne(
      call.recordingId,
      () => fromFinishedCall(call),
      () => keptFileOfCall(call),
    ),
  );

  const authAudit = { entriesWritten: 0, writeFailures: 0 };
  /** One transaction for the interval's summaries; if it fails they go back and are written with the next ones. */
  const auditAuthFailures = async (): Promise<void> => {
    const drained = { rtsp: server.authFailureLog.drain(), control: control.authFailureLog.drain() };
    const entries = [
      ...drained.rtsp.map((summary) => authFailureEntry('rtsp', summary)),
      ...drained.control.map((summary) => authFailureEntry('control', summary)),
    ];
    if (entries.length === 0) return;
    try {
      await orm.em.fork().transactional((em) => appendAuditEvents(em, entries));
      authAudit.entriesWritten += entries.length;
      const all = [...drained.rtsp, ...drained.control];
      logger.warn('authentication failures audited', {
        rtspAddresses: drained.rtsp.map((summary) => summary.address).slice(0, 10),
        controlAddresses: drained.control.map((summary) => summary.address).slice(0, 10),
        failures: all.reduce((total, summary) => total + summary.failures, 0),
        blocked: all.some((summary) => summary.blocked),
      });
    } catch (error) {
      server.authFailureLog.restore(drained.rtsp);
      control.authFailureLog.restore(drained.control);
      authAudit.writeFailures++;
      logger.error('authentication failures could not be audited; kept for the next attempt', { error });
    }
  };

  /** The retention run destroys the file first and marks the row after; a row in either state has no audio left. */
  const fileGone = (row: Recording) => Boolean(row.deletedAt || !row.storageKey || !row.wrappedKey);
  const deletedRecording = () => new ControlError('DELETED', '보존기간이 끝나 삭제된 녹취입니다.');
  /** The row's file opened; a file found missing is the window between the two steps above, so `deleted` too. */
  const openFile = (row: Recording, deleted = deletedRecording) =>
    store
      .openRecording(row.storageKey as string, row.wrappedKey as string)
      .catch((error: unknown) => Promise.reject(error instanceof RecordingNotFoundError ? deleted() : error));
  /** The one recording a request names, refused NOT_FOUND or DELETED before anything is decrypted. */
  const recordingWithAudio = async (recordingId: string) => {
    const row = await orm.em.fork().findOne(Recording, recordingId, { populate: ['extension', 'wrappedKey'] });
    if (!row) throw new ControlError('NOT_FOUND', '녹취가 등록되어 있지 않습니다.');
    if (fileGone(row)) throw deletedRecording();
    return row;
  };
  const corrupt = (notDone: string) => new ControlError('CORRUPT', `보관된 녹취 파일이 손상되었거나 등록된 해시와 달라 ${notDone}. 관리부서에 알리십시오.`);

  /**
   * A switch to full only with a grant the back office signed for this extension's approved application; a refusal
   * changes nothing, and is logged, counted and audited with what was presented.
   */
  const grantForFull = async (number: string, change: ModeChange, caller: ControlCaller): Promise<GrantPayload> => {
    const refuse = async (code: ControlErrorCode, message: string, grant?: GrantPayload): Promise<never> => {
      modes.refused++;
      logger.warn('switch to full refused', { extension: number, code, client: caller.client, grantId: grant?.id });
      await orm.em.fork().transactional((em) =>
        appendAuditEvent(em, {
          ...callerIdentity(caller),
          action: 'extension.mode_refused',
          targetType: 'extension',
          targetId: number,
          reason: message,
          detail: { code, to: 'full', onBehalfOf: change.onBehalfOf, requestReason: change.reason, grantId: grant?.id, approvalId: grant?.case.id },
        }),
      );
      throw new ControlError(code, message);
    };
    if (change.grant === undefined) return refuse('GRANT_MISSING', '전수 녹취로 바꾸려면 승인된 신청의 허가(grant)가 있어야 합니다 (제6조 제2항).');
    const verdict = verifyGrant(options.grantPublicKey, change.grant);
    if ('refused' in verdict) return refuse(verdict.refused, verdict.message);
    const { grant } = verdict;
    if (grant.kind !== 'full-recording' || grant.case.type !== 'full_recording_application' || !grant.extensions.includes(number)) {
      return refuse('GRANT_NOT_COVERING', `이 허가(grant)는 내선 ${number}의 전수 녹취 승인이 아닙니다.`, grant);
    }
    return grant;
  };

  const alreadyUsed = (grant: GrantPayload) => new GrantError('GRANT_ALREADY_USED', '한 번만 쓸 수 있는 허가(grant)로 이미 음성을 내보냈습니다.', grant.id);
  /** Asked before anything is decrypted; the release's own transaction settles a race (claimGrant). */
  const assertGrantUnused = async (grant: GrantPayload) => {
    if (grant.singleUse && (await orm.em.fork().findOne(UsedGrant, grant.id))) throw alreadyUsed(grant);
  };
  /** In the transaction of the release's audit entries: of two requests with one single-use grant, one commits. */
  const claimGrant = async (em: EntityManager, grant: GrantPayload) => {
    if (!grant.singleUse) return;
    try {
      await em.insert(UsedGrant, { id: grant.id, usedAt: new Date(), notAfter: new Date(grant.notAfter) });
    } catch (error) {
      throw error instanceof UniqueConstraintViolationException ? alreadyUsed(grant) : error;
    }
  };
  /** Committed before a byte is sent (R11): the grant claimed and the release audited, or neither. */
  const auditRelease = (grant: GrantPayload, entries: AuditInput[]) =>
    orm.em.fork().transactional(async (em) => {
      await claimGrant(em, grant);
      await appendAuditEvents(em, entries);
    });
  /** Past its end a grant is refused as expired, so its row no longer needs keeping. */
  const forgetExpiredGrants = async () => {
    const forgotten = await orm.em.fork().nativeDelete(UsedGrant, { notAfter: { $lt: new Date() } });
    if (forgotten > 0) logger.info('expired single-use grants forgotten', { forgotten });
  };

  const walkInventory = createInventory({
    dataDir: options.dataDir,
    masterKey: options.masterKey,
    orm,
    calendar: options.calendar,
    retentionPeriod: options.retentionPeriod,
    sessionTimeoutMs: options.rtsp.sessionTimeoutMs,
    stopping: () => stopping !== undefined,
  });
  /** One inventory walk at a time: a second request waits for the first. */
  let inventories: Promise<unknown> = Promise.resolve();
  /** How many findings an inventory's audit entry names (all are counted). */
  const AUDITED_FINDINGS = 20;

  const view = (extension: Extension): ExtensionModeView => ({
    number: extension.number,
    mode: extension.mode,
    fullRecordingSince: extension.fullRecordingSince?.toISOString() ?? null,
  });

  const control: ControlApi = createControlApi({
    port: options.control.port,
    tokens: options.control.tokens,
    grantPublicKey: options.grantPublicKey,
    logger,
    handlers: {
      async packagePublicKey() {
        if (!options.provision) throw new ControlError('NOT_CONFIGURED', '제공 패키지 서명 키가 없습니다 (PACKAGE_SIGNING_KEY_FILE).');
        return packageSigningPublicKey(options.provision.signingKey);
      },
      async health() {
        const disk = await statfs(options.dataDir);
        const stats = server.stats;
        return {
          state: 'up',
          startedAt: startedAt.toISOString(),
          rtsp: { port: server.port, ...stats },
          registration: { ...registrar.stats, waiting },
          unregistered: unregistered.stats,
          authAudit,
          recovery,
          recordButton: { calls: button.size, ...button.stats },
          control: control.stats,
          modes,
          disk: { freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize },
        };
      },
      async extensionMode(number) {
        const extension = await orm.em.fork().findOne(Extension, { number });
        return extension ? view(extension) : undefined;
      },
      async clientRefused(caller, route) {
        try {
          await orm.em.fork().transactional((em) =>
            appendAuditEvent(em, {
              ...callerIdentity(caller),
              action: 'capture_control.refused',
              targetType: 'control_route',
              targetId: `${route.method} ${route.path}`,
              reason: `녹취 장치 제어 API: ${caller.client} 클라이언트의 권한 밖 요청`,
              detail: { client: caller.client, allowedClients: [...route.clients] },
            }),
          );
          authAudit.entriesWritten++;
        } catch (error) {
          authAudit.writeFailures++;
          throw error;
        }
      },
      async grantRefused(caller, route, refusal) {
        try {
          await orm.em.fork().transactional((em) =>
            appendAuditEvent(em, {
              ...callerIdentity(caller),
              action: 'capture_control.grant_refused',
              targetType: 'control_route',
              targetId: `${route.method} ${route.path}`,
              reason: `녹취 장치 제어 API: 허가(grant) 없이·맞지 않는 허가로 음성 요청 (${refusal.code})`,
              detail: { client: caller.client, code: refusal.code, grantId: refusal.grantId ?? null },
            }),
          );
          authAudit.entriesWritten++;
        } catch (error) {
          authAudit.writeFailures++;
          throw error;
        }
      },
      async setExtensionMode(number, change, caller) {
        // An extension the appliance does not know is NOT_FOUND whatever is presented.
        if (!(await orm.em.fork().count(Extension, { number }))) return undefined;
        const grant = change.mode === 'full' ? await grantForFull(number, change, caller) : undefined;
        const changed = await orm.em.fork().transactional(async (em) => {
          const extension = await em.findOne(Extension, { number });
          if (!extension) return false;
          const approvedUntil = grant && new Date(grant.notAfter);
          const sameApproval =
            extension.fullRecordingApprovalId === grant?.case.id && extension.fullRecordingApprovedUntil?.getTime() === approvedUntil?.getTime();
          if (extension.mode === change.mode && (!grant || sameApproval)) return true;
          const from = extension.mode;
          if (extension.mode !== change.mode) {
            extension.mode = change.mode;
            // R1: the change applies from the next call; a full recording is dated from this instant.
            extension.fullRecordingSince = change.mode === 'full' ? new Date() : undefined;
          }
          if (grant) {
            extension.fullRecordingApprovalId = grant.case.id;
            extension.fullRecordingApprovedUntil = approvedUntil;
          }
          await em.flush();
          await appendAuditEvent(em, {
            ...callerIdentity(caller),
            action: 'extension.mode_changed',
            targetType: 'extension',
            targetId: number,
            reason: change.reason,
            detail: {
              from,
              to: change.mode,
              onBehalfOf: change.onBehalfOf,
              ...(grant ? { grantId: grant.id, approvalId: grant.case.id, approvedBy: grant.subject, approvedUntil: grant.notAfter } : {}),
            },
          });
          return true;
        });
        if (!changed) return undefined;
        scheduleEnd(number, grant && new Date(grant.notAfter));
        logger.info('extension mode set', { extension: number, mode: change.mode, client: caller.client, onBehalfOf: change.onBehalfOf });
        // Read back in a fresh context: the caller is told what the database holds, not what was meant.
        const stored = await orm.em.fork().findOne(Extension, { number });
        return stored ? view(stored) : undefined;
      },
      async recordButton(callId, action, at, notice) {
        if (action === 'stop') {
          if (!button.stop(callId, at)) throw new ControlError('INVALID_INPUT', '녹음 중지 시각이 녹음 시작보다 앞섭니다.');
          logger.info('record button stopped', { callId });
          return 'stopped';
        }
        if (!button.start(callId, at, notice))
          throw new ControlError('INVALID_INPUT', '녹음 시작 시각이 이전 누름보다 앞서거나, 이 통화의 누름 횟수를 넘었습니다.');
        const result = await server.recordButtonPressed(callId);
        logger.info('record button pressed', { callId, result, notice: notice !== undefined });
        return result === 'no-active-call' ? 'pending' : result;
      },
      async destroyRecording(recordingId) {
        const em = orm.em.fork();
        const recording = await em.findOne(Recording, recordingId);
        if (!recording?.storageKey) throw new ControlError('NOT_FOUND', '녹취 파일이 등록되어 있지 않습니다.');
        if (recording.retentionDueAt > (options.clock ?? (() => new Date()))()) {
          throw new ControlError('NOT_DUE', `보존기간이 끝나지 않았습니다 (${recording.retentionDueAt.toISOString()}까지).`);
        }
        const at = (options.clock ?? (() => new Date()))();
        if ((await em.count(RecordingHold, { recording, ...holdInForce(at) })) > 0) {
          throw new ControlError('HELD', '열람·제공 신청 등으로 보존 중인 녹취는 삭제할 수 없습니다.');
        }
        await store.destroy(recording.storageKey);
        logger.info('recording file destroyed', { recordingId, storageKey: recording.storageKey });
        return { recordingId, storageKey: recording.storageKey };
      },
      async inventory(request, caller) {
        const run = async (): Promise<InventoryReport> => {
          const report = await walkInventory({ ...request, asOf: request.asOf ?? now() });
          const { counts } = report;
          // One entry per part of the walk, whatever it found: the run is on the record, its findings named by id.
          await orm.em.fork().transactional((em) =>
            appendAuditEvent(em, {
              ...callerIdentity(caller),
              action: 'recording.inventory',
              targetType: 'recording_store',
              targetId: request.run ?? report.asOf,
              reason: `녹취 보관 점검: 파일 ${counts.files}개 중 보존기간과 유예 ${INVENTORY_GRACE_MS / 60_000}분이 지난 것 ${counts.findings}건`,
              detail: {
                run: request.run ?? null,
                asOf: report.asOf,
                from: report.from,
                next: report.next,
                counts,
                findings: report.findings
                  .slice(0, AUDITED_FINDINGS)
                  .map((finding) => ({ recordingId: finding.recordingId, storageKey: finding.storageKey, kind: finding.kind })),
              },
            }),
          );
          const fields = { run: request.run, from: report.from, next: report.next, ...counts };
          if (counts.findings > 0) logger.warn('recording store inventory: audio past its due time found', fields);
          else logger.info('recording store inventory', fields);
          return report;
        };
        const result = inventories.then(run, run);
        inventories = result.catch(() => undefined);
        return result;
      },
      async exportRecording(recordingId, password, { caller, grant }) {
        const recording = await recordingWithAudio(recordingId);
        await assertGrantUnused(grant);
        const stored = await openFile(recording);
        const sealed = await buildPartyExport(
          stored,
          { startedAt: recording.startedAt, extension: recording.extension.number, timeZone: options.calendar.timeZone },
          password,
        );
        await auditRelease(grant, [
          {
            ...callerIdentity(caller),
            action: 'recording.party_export_sealed',
            targetType: 'recording',
            targetId: recordingId,
            reason: '당사자 내보내기',
            detail: { ...grantDetail(grant), fileName: sealed.fileName, zipBytes: sealed.zip.length },
          },
        ]);
        logger.info('party export sealed', { recordingId, fileName: sealed.fileName, bytes: sealed.zip.length, grantId: grant.id });
        return sealed;
      },
      async buildDisclosurePackage(request, { caller, grant }) {
        if (!options.provision) throw new ControlError('NOT_CONFIGURED', '제공 패키지 서명 키가 없어 패키지를 만들 수 없습니다 (PACKAGE_SIGNING_KEY_FILE).');
        const rows = await orm.em.fork().find(Recording, { id: { $in: [...request.recordingIds] } }, { populate: ['extension', 'wrappedKey'] });
        const byId = new Map(rows.map((row) => [row.id, row]));
        // All checked before any is decrypted: one recording the case cannot have refuses the whole package.
        const unknown = request.recordingIds.filter((id) => !byId.has(id));
        if (unknown.length > 0) throw new ControlError('NOT_FOUND', `등록되어 있지 않은 녹취가 있어 제공 패키지를 만들지 않았습니다: ${unknown.join(', ')}`);
        const deletedMessage = (ids: string[]) => `보존기간이 끝나 삭제된 녹취가 있어 제공 패키지를 만들지 않았습니다: ${ids.join(', ')}`;
        const deleted = request.recordingIds.filter((id) => fileGone(byId.get(id) as Recording));
        if (deleted.length > 0) throw new ControlError('DELETED', deletedMessage(deleted));
        await assertGrantUnused(grant);
        const recordings = request.recordingIds.map((id): PackageRecording => {
          const row = byId.get(id) as Recording;
          return {
            recordingId: id,
            startedAt: row.startedAt,
            endedAt: row.endedAt,
            extension: row.extension.number,
            durationMs: row.durationMs,
            // A row without its hash cannot vouch for its audio: the comparison with the file refuses it as CORRUPT.
            audioSha256: row.sha256 ?? '',
            open: () => openFile(row, () => new ControlError('DELETED', deletedMessage([id]))),
          };
        });
        const sealed = await buildDisclosurePackage({
          managementNumber: request.managementNumber,
          recordings,
          password: request.password,
          extraFiles: request.extraFiles,
          signingKey: options.provision.signingKey,
          municipalityName: options.provision.municipalityName,
          timeZone: options.calendar.timeZone,
        }).catch((error: unknown) => {
          if (!(error instanceof PackageAudioMismatchError || error instanceof RecordingCorruptError)) throw error;
          // Not handed out: a copy whose audio is not what the database's hash promises would prove nothing.
          logger.error('disclosure package refused: a stored recording does not verify', { managementNumber: request.managementNumber, error });
          throw corrupt('제공 패키지를 만들지 않았습니다');
        });
        // One entry per recording, so each recording's trail shows the copy.
        await auditRelease(
          grant,
          sealed.manifest.recordings.map((recording) => ({
            ...callerIdentity(caller),
            action: 'recording.disclosure_package_sealed',
            targetType: 'recording',
            targetId: recording.recordingId,
            reason: `녹취정보 제공 패키지 ${request.managementNumber}`,
            detail: {
              managementNumber: request.managementNumber,
              recordingIds: [...request.recordingIds],
              file: recording.file,
              fileSha256: recording.fileSha256,
              packageSha256: sealed.sha256,
              manifestSha256: sealed.manifestSha256,
              extraFiles: request.extraFiles.map((file) => file.name),
              onBehalfOf: request.onBehalfOf,
              ...grantDetail(grant),
            },
          })),
        );
        logger.info('disclosure package sealed', {
          managementNumber: request.managementNumber,
          recordings: request.recordingIds.length,
          bytes: sealed.zip.length,
          packageSha256: sealed.sha256,
        });
        return sealed;
      },
      async viewingAudio(recordingId, request, { caller, grant }) {
        const row = await recordingWithAudio(recordingId);
        await assertGrantUnused(grant);
        const refuse = (error: unknown) => {
          logger.error('viewing audio refused: the stored recording does not verify', { recordingId, managementNumber: request.managementNumber, error });
          return corrupt('열람용 음성을 보내지 않았습니다');
        };
        let wav: Buffer;
        try {
          const stored = await openFile(row);
          // What is played must be the audio whose hash the database fixed; a row without one vouches for nothing.
          if (!row.sha256 || stored.sha256 !== row.sha256) throw refuse(`stored audio hash ${stored.sha256} is not the database's`);
          wav = await pcmWavOf(stored);
        } catch (error) {
          throw error instanceof RecordingCorruptError ? refuse(error) : error;
        }
        const sha256 = row.sha256;
        try {
          // Every play the API allows leaves its trace here too.
          await auditRelease(grant, [
            {
              ...callerIdentity(caller),
              action: 'recording.viewing_audio_released',
              targetType: 'recording',
              targetId: recordingId,
              reason: `녹취정보 열람 ${request.managementNumber}`,
              detail: { managementNumber: request.managementNumber, storedAudioSha256: sha256, onBehalfOf: request.onBehalfOf, ...grantDetail(grant) },
            },
          ]);
        } catch (error) {
          wav.fill(0);
          throw error;
        }
        logger.info('viewing audio released', {
          recordingId,
          managementNumber: request.managementNumber,
          client: caller.client,
          onBehalfOf: request.onBehalfOf,
        });
        return { wav, sha256 };
      },
    },
  });

  await server.start();
  let controlPort: number;
  try {
    controlPort = (await control.start()).port;
  } catch (error) {
    await server.stop();
    throw error;
  }
  let reconciling: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    reconciling = reconciling
      .then(reconcile)
      .then(forgetExpiredGrants)
      .catch((error: unknown) => logger.error('reconciliation failed', { error }));
  }, options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS);
  let auditing = Promise.resolve();
  const auditNext = () => (auditing = auditing.then(auditAuthFailures));
  const authAuditTimer = setInterval(() => void auditNext(), AUTH_AUDIT_INTERVAL_MS);
  logger.info('capture appliance ready', { rtspPort: server.port, controlPort, recovery });

  return {
    rtspPort: server.port,
    controlPort,
    server,
    registrar,
    store,
    recovery,
    controlRoutes: control.routes,
    reconcile,
    stop() {
      // Once, however often it is asked (a signal handler and a supervisor may both ask).
      stopping ??= (async () => {
        clearInterval(timer);
        clearInterval(authAuditTimer);
        for (const end of approvalEnds.values()) clearTimeout(end);
        approvalEnds.clear();
        await control.stop();
        // A walk under way ends after its batch (its caller asks again from its `next`).
        await inventories;
        // Finishes every open recording and registers it (the listeners are awaited).
        await server.stop();
        await reconciling;
        // Its failure is logged where it happened; stopping goes on.
        await enforcing.catch(() => undefined);
        // What was counted up to the last connection is on the record before the process goes.
        await auditNext();
      })();
      return stopping;
    },
  };
}
