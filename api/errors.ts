/**
 * Errors the API answers with: a stable code for programs, a Korean message for people, and the HTTP
 * status. Anything else that escapes a route is logged and answered as INTERNAL_ERROR without detail.
 */
import { StepRefusedError } from '../infra/temporal/case-workflows';

export type ErrorCode =
  | 'AUTHENTICATION_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_PARTY'
  | 'NOT_OWN_DEPARTMENT'
  | 'CSRF_TOKEN_INVALID'
  | 'INVALID_INPUT'
  | 'INVALID_TEXT'
  | 'MALFORMED_BODY'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'FILE_TOO_LARGE'
  | 'TOO_MANY_FILES'
  | 'EMPTY_FILE'
  | 'UNSUPPORTED_FILE_TYPE'
  | 'UNSAFE_FILE_CONTENT'
  | 'INVALID_SIGNATURE'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_LOCKED'
  | 'LOGIN_WAIT'
  | 'ACCOUNT_NOT_LOCKED'
  | 'LOGIN_RATE_LIMITED'
  | 'NO_ROLE'
  | 'DIRECTORY_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'RECORDING_DELETED'
  | 'HOLD_ALREADY_RELEASED'
  | 'HOLD_END_PAST'
  | 'HOLD_TOO_LONG'
  | 'HOLD_REVIEWER_INVALID'
  | 'HOLD_DOCUMENT_MISSING'
  | 'HOLD_NOT_IN_FORCE'
  | 'HOLD_OWNED_BY_CASE'
  | 'FILE_DESTROYED'
  | 'WEAK_PASSWORD'
  | 'RETENTION_ENDED'
  | 'CAPTURE_UNAVAILABLE'
  | 'INVALID_PERIOD'
  | 'EXTENSION_NOT_IN_DEPARTMENT'
  | 'EXTENSION_ALREADY_APPLIED'
  | 'ACTION_REFUSED'
  | 'WORKFLOWS_UNAVAILABLE'
  | 'VERIFY_BUSY'
  | 'INTERNAL_ERROR';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Facts for the audit entry of a refusal (never shown to the user). */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A human step sent to its workflow, answered as the API answers: a step the workflow's Update validator refused is
 * `409 ACTION_REFUSED` with its Korean reason; anything else goes on to the error handler.
 */
export async function answerStep<T>(step: Promise<T>, detail?: Record<string, unknown>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof StepRefusedError) throw new ApiError(409, 'ACTION_REFUSED', error.message, detail);
    throw error;
  }
}

export const notFound = () => new ApiError(404, 'NOT_FOUND', '요청한 주소나 자료를 찾을 수 없습니다.');
