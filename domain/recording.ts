/** The vocabulary of a recorded call (녹취정보): codecs, directions, modes, notice. Pure: every layer may import it. */
export const CALL_DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

export const CODECS = ['PCMU', 'PCMA'] as const;
export type Codec = (typeof CODECS)[number];

/**
 * Why a recorded call breaks the rules. `notice_missing` (R3, Art. 7): the call carries no evidence of the notice its
 * mode requires — the announcement for a full recording, any notice (the PBX's short notice or the official's
 * confirmation) for a selective one; the row's mode tells which was owed. `full_without_approval` (R1, Art. 6(2)): the
 * call was recorded in full while its extension had no approval in force, which weighs more than a missing notice.
 */
export const COMPLIANCE_EXCEPTIONS = ['notice_missing', 'full_without_approval'] as const;
export type ComplianceException = (typeof COMPLIANCE_EXCEPTIONS)[number];

export const RECORDING_MODES = ['selective', 'full'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

/** How the other party is told the call is recorded (Art. 7): a played announcement, or by the official. */
export const NOTICE_METHODS = ['announcement', 'verbal'] as const;
export type NoticeMethod = (typeof NOTICE_METHODS)[number];

/**
 * R1: an extension's mode at an instant. A change applies from the next call, and an approved full recording
 * starts at `fullRecordingSince`; before that instant the extension was still selective.
 */
export function modeAt(extension: { mode: RecordingMode; fullRecordingSince?: Date }, at: Date): RecordingMode {
  if (extension.mode === 'full' && extension.fullRecordingSince !== undefined && at < extension.fullRecordingSince) {
    return 'selective';
  }
  return extension.mode;
}

/**
 * Art. 6(2) at an instant: the approval the appliance stored with the extension when a signed grant switched it to
 * full (the application's id and the end of its period) is in force. Without one, a full recording is unapproved.
 */
export function approvalInForce(extension: { fullRecordingApprovalId?: string; fullRecordingApprovedUntil?: Date }, at: Date): boolean {
  return extension.fullRecordingApprovalId !== undefined && extension.fullRecordingApprovedUntil !== undefined && at < extension.fullRecordingApprovedUntil;
}

/**
 * One press of the record button: recording from `startedAt`, until `stoppedAt` if the official stopped it, with the
 * evidence of the notice given for it (`announcement:played@…` when the PBX played its short notice,
 * `verbal:official` when the official confirms having told the other party).
 */
export interface ButtonInterval {
  readonly startedAt: Date;
  readonly stoppedAt?: Date;
  readonly notice?: string;
}

/**
 * R1 for one instant of a call: a full extension records everything; a selective one only inside a record-button
 * interval. An unknown extension (mode undefined) is treated as selective, the entity's default and the least
 * intrusive: nothing is recorded without someone asking for it.
 */
export function shouldRecord(mode: RecordingMode | undefined, intervals: readonly ButtonInterval[], at: Date): boolean {
  if (mode === 'full') return true;
  return intervals.some((interval) => interval.startedAt <= at && (interval.stoppedAt === undefined || at < interval.stoppedAt));
}
