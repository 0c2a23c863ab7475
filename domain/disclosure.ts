/** The vocabulary of a disclosure request (녹취정보 열람·제공, Art. 9) and its forms. Pure. */
export const DISCLOSURE_KINDS = ['viewing', 'provision'] as const;
export type DisclosureKind = (typeof DISCLOSURE_KINDS)[number];

/** Art. 9(1): the applicant is a party, or another law provides. */
export const DISCLOSURE_GROUNDS = ['party', 'other_law'] as const;
export type DisclosureGround = (typeof DISCLOSURE_GROUNDS)[number];

export const DISCLOSURE_STATUSES = [
  'registered',
  'in_sign_off',
  'awaiting_handover',
  'released',
  'awaiting_destruction_report',
  'closed',
  'rejected',
  'withdrawn',
] as const;
export type DisclosureStatus = (typeof DISCLOSURE_STATUSES)[number];

export const SIGN_OFF_DECISIONS = ['approved', 'rejected'] as const;
export type SignOffDecision = (typeof SIGN_OFF_DECISIONS)[number];

export const SIGNATURE_KINDS = ['on_screen', 'paper_scan'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export const DESTRUCTION_METHODS = ['delete_overwrite', 'physical_destruction', 'other'] as const;
export type DestructionMethod = (typeof DESTRUCTION_METHODS)[number];

/** 열람 / 제공 as forms, the ledger and pages write them. */
export const DISCLOSURE_KIND_LABELS: Record<DisclosureKind, string> = { viewing: '열람', provision: '제공' };
