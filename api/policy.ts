/**
 * Who may do what: every grant of the route table (api/route-table/) and of the navigation, once, each with the rule
 * it implements. The lifecycle files of the route table name these and declare none of their own;
 * test/api/route-access.test.ts writes the same table out independently, so a grant widened here fails it.
 */
import { type RoleId } from '../domain/roles';
import { PRIVILEGED_ROLES, ROLES, type Grant } from './access';

/** Every logged-in user, whatever their role: logout and the dashboard. */
export const anyRole: readonly Grant[] = [{ roles: ROLES, scope: 'everything' }];

/** Art. 8(3): the managing department (the chief, the deputy, the operator) holds access rights to recordings. */
export const MANAGING: Grant = { roles: PRIVILEGED_ROLES, scope: 'everything' };
/** The managing department alone, as a route's access (the announcement, a disclosure case's files, linked recordings). */
export const MANAGING_DEPARTMENT: readonly Grant[] = [MANAGING];
/** The managing department and the auditors who oversee it: read, never act. */
const OVERSIGHT: Grant = { roles: [...PRIVILEGED_ROLES, 'auditor'], scope: 'everything' };

/** Officials see the metadata of calls they were a party to (Art. 8(1) proviso). */
export const PARTIES: Grant = { roles: ['staff', 'dept_head'], scope: 'ownCalls' };
/** Recording search and detail (Art. 8(1)): the managing department every call, a party their own. */
export const RECORDING_READERS: readonly Grant[] = [MANAGING, PARTIES];
/**
 * The party's own export (R5): every role is held to its own calls, so a chief or operator who was not on the
 * call is refused like anyone else — their way to others' calls is Art. 9, not this.
 */
export const PARTY_ONLY: readonly Grant[] = [{ roles: ROLES, scope: 'ownCalls' }];
/**
 * Issue 19: the recordings the capture appliance keeps but could not register (why, since when, when they go) — the
 * managing department's, who keep the extension table and hold the access rights to recordings (Art. 8(3)).
 */
export const UNREGISTERED_READERS: readonly Grant[] = MANAGING_DEPARTMENT;
/** Holds outside the disclosure lifecycle: the chief alone, with a reason (issue 6). */
export const HOLD_SETTERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }];
/** A hold's requesting document: the managing department and the auditors who review holds. */
export const HOLD_DOCUMENT_READERS: readonly Grant[] = [OVERSIGHT];

/** Art. 8(3): the list of who holds access rights, for the managing department and the auditors. */
export const HOLDER_READERS: readonly Grant[] = [OVERSIGHT];
/** The health report names servers and folders: for the managing department and operations (the dashboard's card). */
export const HEALTH_READERS: readonly RoleId[] = OVERSIGHT.roles;

/** Full-recording applications (Art. 6): the applying department's head, for their own department only. */
export const OWN_DEPARTMENT_HEAD: Grant = { roles: ['dept_head'], scope: 'ownDepartment' };
/** Art. 6: the head of the department that uses the extensions applies, renews and adds evidence. */
export const APPLICANTS: readonly Grant[] = [OWN_DEPARTMENT_HEAD];
/** Art. 6: the managing department and auditors read every application, a department head their own. */
export const APPLICATION_READERS: readonly Grant[] = [OVERSIGHT, OWN_DEPARTMENT_HEAD];
/** Art. 6: the managing department reviews and approves, in the order of FULL_RECORDING_APPROVAL_CHAIN. */
export const SIGNERS: readonly Grant[] = [MANAGING];
/** Art. 6: the applying department's head withdraws an application, or they or the chief end full recording. */
export const REVOKERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }, OWN_DEPARTMENT_HEAD];

/**
 * Art. 9 requests: the managing department works them (the operator registers and takes each handling step, the
 * chain signs off, the operator or the chief records a withdrawal); auditors read the cases, never their files.
 */
export const DISCLOSURE_READERS: readonly Grant[] = [OVERSIGHT];
/** Art. 9: the operator registers a request and takes each handling step (recordings, attachments, handover, package, Form 3). */
export const DISCLOSURE_OPERATOR: readonly Grant[] = [{ roles: ['operator'], scope: 'everything' }];
/** Art. 9: the applicant's withdrawal, recorded by the operator or the chief. */
export const DISCLOSURE_WITHDRAWERS: readonly Grant[] = [{ roles: ['operator', 'chief'], scope: 'everything' }];
/** Art. 9: the sign-off chain (DISCLOSURE_SIGN_OFF_CHAIN) is the managing department's. */
export const DISCLOSURE_SIGNERS: readonly Grant[] = MANAGING_DEPARTMENT;
/** Art. 9 and R6: a case's matches, files, documents, package and viewing are the managing department's, never an auditor's. */
export const DISCLOSURE_HANDLERS: readonly Grant[] = MANAGING_DEPARTMENT;
/**
 * Art. 9(1): officials who may be a party to a call file their own request; the handler only ever reads or files the
 * caller's own (their extensions, their requests), so the grant needs no ownership rule on a path parameter.
 */
export const OWN_REQUESTERS: readonly Grant[] = [{ roles: ['staff', 'dept_head'], scope: 'everything' }];
/** Form 4: the records officer exports it (Art. 9(3) ledger); the managing department and auditors read it too. */
export const LEDGER_READERS: readonly Grant[] = [{ roles: [...OVERSIGHT.roles, 'records'], scope: 'everything' }];

/** 월간 접근기록 점검 (안전성 확보조치 기준 제8조): the managing department and auditors read the reviews. */
export const ACCESS_REVIEW_READERS: readonly Grant[] = [OVERSIGHT];
/** The review's report workbook: whoever reads the review. */
export const ACCESS_REVIEW_FILES: readonly Grant[] = ACCESS_REVIEW_READERS;
/** The chief signs a month's review off. */
export const ACCESS_REVIEW_SIGNERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }];
/** Lifting a login lock lets someone try passwords again: the head of the managing department decides it, audited. */
export const LOGIN_LOCK_MANAGERS: readonly Grant[] = [{ roles: ['chief'], scope: 'everything' }];

/** Art. 7: the prior-notice announcement is the managing department's to hand to the PBX. */
export const ANNOUNCEMENT_READERS: readonly Grant[] = MANAGING_DEPARTMENT;
/** Art. 7: calls recorded without notice, the managing department's to follow up, the auditors' to oversee. */
export const COMPLIANCE_READERS: readonly Grant[] = HOLDER_READERS;

/** A case's timeline (처리 경위): the managing department and auditors; never anyone who might be a party to the case. */
export const TIMELINE_READERS: readonly Grant[] = [OVERSIGHT];
/**
 * The process models (처리 흐름도) are process descriptions, not case data: whoever reads a case reads its process,
 * a drawing of the rules with nothing of any case in it.
 */
export const PROCESS_MODEL_READERS: readonly Grant[] = [{ roles: [...OVERSIGHT.roles, 'dept_head'], scope: 'everything' }];
