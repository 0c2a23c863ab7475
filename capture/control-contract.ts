/**
 * What the capture appliance's control API and its clients agree on (capture/control-api.ts serves it,
 * capture/control-client.ts and the API call it, the appliance implements `ControlHandlers`): the refusal codes and
 * errors, what a caller is, the requests and the views answered.
 */
import type { RecordingMode } from '../domain/recording';
import type { GrantPayload } from '../infra/grants';
import type { CaptureClient } from '../infra/keys';
import type { DisclosurePackage, ExtraFile } from './disclosure-package';
import type { PartyExport } from './party-export';

export type ControlErrorCode =
  | 'UNAUTHORIZED'
  | 'CLIENT_NOT_ALLOWED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BODY_TOO_LARGE'
  | 'INVALID_INPUT'
  | 'NOT_DUE'
  | 'HELD'
  | 'DELETED'
  | 'CORRUPT'
  | 'NOT_CONFIGURED'
  | 'INTERNAL'
  | GrantRefusal;

/** Why a release was refused for its grant; each answered 403, nothing released. */
export type GrantRefusal =
  | 'GRANT_MISSING'
  | 'GRANT_MALFORMED'
  | 'GRANT_SIGNATURE_INVALID'
  | 'GRANT_NOT_YET_VALID'
  | 'GRANT_EXPIRED'
  | 'GRANT_WRONG_KIND'
  | 'GRANT_NOT_COVERING'
  | 'GRANT_ALREADY_USED';

/** A refusal with its code and the Korean message the caller shows or logs. */
export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A refusal for a grant, naming the grant once its signature held. */
export class GrantError extends ControlError {
  declare readonly code: GrantRefusal;
  constructor(
    code: GrantRefusal,
    message: string,
    readonly grantId?: string,
  ) {
    super(code, message);
    this.name = 'GrantError';
  }
}

export interface ExtensionModeView {
  readonly number: string;
  readonly mode: RecordingMode;
  /** When an approved full recording began (R1, Art. 6); absent while selective. */
  readonly fullRecordingSince: string | null;
}

export type RecordButtonResult = 'started' | 'already-recording' | 'stopped' | 'pending';

/** Who sent a request, as its token proves: what the appliance's audit entries name as the actor. */
export interface ControlCaller {
  readonly client: CaptureClient;
  /** The socket's address (the control API is never behind a proxy). */
  readonly address: string;
}

/** The mode change a request asks for; `onBehalfOf` is who the client says it acts for (R11). */
export interface ModeChange {
  readonly mode: RecordingMode;
  readonly onBehalfOf: string;
  readonly reason: string;
  /** A switch to full: the signed `full-recording` grant of the approved application (infra/grants.ts). */
  readonly grant?: string;
}

/** What the appliance does; this module only speaks HTTP and tells the clients apart. */
export interface ControlHandlers {
  health(): Promise<Record<string, unknown>>;
  extensionMode(number: string): Promise<ExtensionModeView | undefined>;
  setExtensionMode(number: string, change: ModeChange, caller: ControlCaller): Promise<ExtensionModeView | undefined>;
  /** `notice`: the evidence that the other party was told (Art. 7), given with a start. */
  recordButton(callId: string, action: 'start' | 'stop', at: Date, notice?: string): Promise<RecordButtonResult>;
  /** Throws ControlError NOT_FOUND / NOT_DUE / HELD; destroying an already destroyed file is success. */
  destroyRecording(recordingId: string): Promise<{ recordingId: string; storageKey: string }>;
  /**
   * Throws ControlError NOT_FOUND, DELETED once the recording's file is gone, GRANT_ALREADY_USED for a single-use
   * grant used before (as do the other two releases). Audits the release before it resolves.
   */
  exportRecording(recordingId: string, password: string, release: Release): Promise<PartyExport>;
  /**
   * Throws ControlError NOT_FOUND / DELETED naming the recordings (nothing is built), CORRUPT when a stored file is
   * not the audio the database's hash was fixed for, NOT_CONFIGURED without a signing key.
   */
  buildDisclosurePackage(request: DisclosurePackageRequest, release: Release): Promise<DisclosurePackage>;
  /**
   * Throws ControlError NOT_FOUND, DELETED once the file is gone, CORRUPT when the stored file is not the audio the
   * database's hash was fixed for. Audits the release before it resolves.
   */
  viewingAudio(recordingId: string, request: ViewingAudioRequest, release: Release): Promise<ViewingAudio>;
  /** The public half of the package signing key, which recipients verify against; NOT_CONFIGURED without one. */
  packagePublicKey(): Promise<{ pem: string; sha256: string }>;
  /**
   * A known client asked for a route outside its scope: audited at once, one entry per refusal (an authenticated
   * client going beyond its scope is a leaked token or a compromised host, which an operator must see). Rejects
   * when the entry could not be written; the request is refused all the same.
   */
  clientRefused(caller: ControlCaller, route: ControlRouteInfo): Promise<void>;
  /** A release refused for its grant: audited at once like clientRefused, and rejects the same way. */
  grantRefused(caller: ControlCaller, route: ControlRouteInfo, refusal: { code: GrantRefusal; grantId?: string }): Promise<void>;
  /** The retention inventory of the store's files (issue 19), one part of the walk; audited, one entry per part. */
  inventory(request: InventoryRequest, caller: ControlCaller): Promise<InventoryReport>;
}

/**
 * One part of the retention inventory's walk of the recording store (issue 19): every file the appliance holds — its
 * finished recordings (acknowledged or not), `.partial` files older than the session timeout, anything else under the
 * store's folders — compared with the database.
 */
export interface InventoryRequest {
  /** The instant judged against (the workflow's time); now by default. */
  readonly asOf?: Date;
  /** Go on after this file (`next` of the part before); from the start by default. */
  readonly after?: string;
  /** How long this part may walk before it answers with `next` (at most INVENTORY_MAX_BUDGET_MS). */
  readonly budgetMs?: number;
  /** How many findings to list at most (all are counted). */
  readonly maxFindings?: number;
  /** The caller's name for the run its parts belong to, kept in the audit entries. */
  readonly run?: string;
}

/** Why a file is a finding: its audio outlives what the rules allow, or nothing accounts for it past its due time. */
export type InventoryFindingKind =
  /** A registered recording past its due time and the grace, not under a valid hold. */
  | 'past_due'
  /** An unregistered recording past its due time and the grace (the reconciliation destroys it at its due time). */
  | 'unregistered_past_due'
  /** A recording deleted in the database (or an unregistered one destroyed) whose file is still there. */
  | 'tombstone_file'
  /** A file neither a recording nor an unregistered recording accounts for, past the due time its header or its date gives it. */
  | 'orphan';

export interface InventoryFinding {
  /** The store's recording id from the file's name; null for a file whose name is not a recording's. */
  readonly recordingId: string | null;
  /** The file's path under the store's folder: `YYYY/MM/DD/<id>.rec`, `partial/<id>.partial`, or another file's. */
  readonly storageKey: string;
  readonly kind: InventoryFindingKind;
  readonly file: 'recording' | 'partial' | 'other';
  /** ISO; when the audio was due to be gone (before the grace). */
  readonly dueAt: string;
  /** Where the due time comes from: the recording's row, the unregistered row, the file's header, the file's last change. */
  readonly dueFrom: 'recording' | 'unregistered' | 'header' | 'file_modified';
  /** Korean. */
  readonly reason: string;
}

export interface InventoryCounts {
  /** Files looked at in this part. */
  files: number;
  /** Of them: finished recordings (`.rec`), partial ones (older than the session timeout), and anything else. */
  recordings: number;
  partials: number;
  others: number;
  /** `.partial` files still being written (newer than the session timeout): not judged. */
  livePartials: number;
  /** Files accounted for by a recording row not deleted, by an unregistered row still kept, by a deleted row (tombstone). */
  registered: number;
  unregistered: number;
  tombstoned: number;
  /** Files nothing accounts for, due or not. */
  orphans: number;
  /** Files whose header could not be read (the due time then from the file's last change). */
  unreadable: number;
  /** Registered recordings past due and the grace, kept by a valid hold (not findings). */
  held: number;
  /** Findings, listed or not. */
  findings: number;
}

export interface InventoryReport {
  readonly asOf: string;
  readonly graceMs: number;
  /** The `after` this part started from, or null from the start. */
  readonly from: string | null;
  /** Ask again with this as `after`; null once the walk has reached the end. */
  readonly next: string | null;
  readonly counts: InventoryCounts;
  readonly findings: readonly InventoryFinding[];
  /** More findings than listed (counts.findings has them all). */
  readonly findingsTruncated: boolean;
}

/** Who asked for a release, and the verified grant it was asked against. */
export interface Release {
  readonly caller: ControlCaller;
  readonly grant: GrantPayload;
}

export interface DisclosurePackageRequest {
  readonly managementNumber: string;
  readonly recordingIds: readonly string[];
  readonly password: string;
  /** Who the client has it built for (a user name), kept in the audit entry beside the client (R11). */
  readonly onBehalfOf: string;
  readonly extraFiles: readonly ExtraFile[];
}

export interface ViewingAudioRequest {
  /** 관리번호 of the disclosure case whose viewing this is. */
  readonly managementNumber: string;
  /** Who the client plays it for (the API's user name), kept in the audit entry beside the client (R11). */
  readonly onBehalfOf: string;
}

export interface ViewingAudio {
  /** 16-bit PCM stereo 8 kHz WAV (party-export.ts's pcmWavOf), channel 0 the official. Plain audio: the holder wipes it. */
  readonly wav: Buffer;
  /** SHA-256 of the stored audio as the database has it, which the file was verified against. */
  readonly sha256: string;
}

/**
 * The ways audio may leave the appliance (R6): the party's own export and the Art. 9 provision package, both sealed,
 * and Art. 9 viewing (열람). Viewing is the one release of plain audio, because the browser must play it: a sealed
 * ZIP cannot be listened to in the managing department's presence without first being saved and opened. It goes
 * only to the caller on 127.0.0.1 holding the API's control token, which releases it only under Art. 9 (an
 * approved case, Form 2 signed, inside the viewing window, every play audited) and passes it on not to be cached
 * or saved (`no-store`, `inline`).
 */
export type AudioRelease = 'party-export' | 'disclosure' | 'viewing';

/** A route as the R6 test walks it: `path` with `<name>` placeholders. */
export interface ControlRouteInfo {
  readonly method: string;
  readonly path: string;
  /** The clients whose token may use it (the scope table); every other client is refused CLIENT_NOT_ALLOWED. */
  readonly clients: readonly CaptureClient[];
  readonly releasesAudio?: AudioRelease;
}
