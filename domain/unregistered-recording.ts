/**
 * The vocabulary of an unregistered recording (issue 19): a call the capture appliance recorded and keeps, but could
 * not register — why, and from what instant its storage period is counted. Pure: every layer may import it.
 */

/**
 * Why a kept recording has no `Recording` row: the registration's own refusals (capture/registration.ts) and a file
 * the appliance cannot read (its header or trailer does not open, so not even its call id is known).
 */
export const UNREGISTERED_CODES = ['UNKNOWN_EXTENSION', 'INCOMPLETE_METADATA', 'CALL_ID_CONFLICT', 'UNREADABLE'] as const;
export type UnregisteredCode = (typeof UNREGISTERED_CODES)[number];

/** Each reason in one Korean line, for the managing department's list and the audit entries. */
export const UNREGISTERED_CODE_LABELS: Readonly<Record<UnregisteredCode, string>> = {
  UNKNOWN_EXTENSION: '내선번호표에 없는 내선',
  INCOMPLETE_METADATA: '통화 정보 누락 (내선·통화 방향·통화 ID)',
  CALL_ID_CONFLICT: '같은 통화 ID로 다른 음성이 이미 등록됨',
  UNREADABLE: '녹취 파일을 읽을 수 없음',
};

/**
 * What the storage period (Art. 8(1)) of an unregistered recording is counted from. `call`: the call's start, as in
 * the file's header (what a registered recording is counted from). `file_modified`: the header cannot be read, so the
 * file's last change, when the recording was finished. `first_seen`: not even that is known, so the instant the
 * appliance first found it — the latest of the three, and said so.
 */
export const STARTED_AT_BASES = ['call', 'file_modified', 'first_seen'] as const;
export type StartedAtBasis = (typeof STARTED_AT_BASES)[number];

export const STARTED_AT_BASIS_LABELS: Readonly<Record<StartedAtBasis, string>> = {
  call: '통화 시작 시각',
  file_modified: '파일 수정 시각 (통화 시작 시각을 읽을 수 없음)',
  first_seen: '처음 발견한 시각 (파일 시각도 알 수 없음)',
};

/** Where an unregistered recording stands: still kept (`open`), registered later, or destroyed at its due time. */
export type UnregisteredState = 'open' | 'registered' | 'destroyed';

export function unregisteredState(row: { registeredAt?: Date | null; destroyedAt?: Date | null }): UnregisteredState {
  if (row.destroyedAt) return 'destroyed';
  return row.registeredAt ? 'registered' : 'open';
}
