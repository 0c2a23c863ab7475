/** The vocabulary of a full-recording application (전수 녹취 신청, Art. 6). Pure. */
/** Art. 6(2): the three grounds on which a using department may apply for full recording. */
export const FULL_RECORDING_GROUNDS = ['interest_related_complaints', 'malicious_complaints', 'other'] as const;
export type FullRecordingGround = (typeof FULL_RECORDING_GROUNDS)[number];

/** Each ground's item of Art. 6(2) word for word, so that the application and the pages quote the regulation. */
export const FULL_RECORDING_GROUND_TEXTS: Record<FullRecordingGround, string> = {
  interest_related_complaints: '1. 인허가, 단속, 복지 등 이해관계 관련 민원이 많은 경우',
  malicious_complaints: '2. 전화폭력 등 악성 민원이 많은 경우',
  other: '3. 그 밖에 사용부서의 장이 필요하다고 판단되는 경우',
};

export const FULL_RECORDING_STATUSES = ['under_review', 'approved', 'active', 'rejected', 'ended', 'revoked'] as const;
export type FullRecordingStatus = (typeof FULL_RECORDING_STATUSES)[number];
