/** The vocabulary of a full-recording application (전수 녹취 신청, Art. 6). Pure. */
/** Art. 6(2): the three grounds on which a using department may apply for full recording. */
export const FULL_RECORDING_GROUNDS = ['interest_related_complaints', 'malicious_complaints', 'other'] as const;
export type FullRecordingGround = (typeof FULL_RECORDING_GROUNDS)[number];

export const FULL_RECORDING_STATUSES = ['under_review', 'approved', 'active', 'rejected', 'ended', 'revoked'] as const;
export type FullRecordingStatus = (typeof FULL_RECORDING_STATUSES)[number];
