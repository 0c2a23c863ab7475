/**
 * The grants the API signs right before it asks the capture appliance for audio (issue 18): from the facts it has
 * just checked — which recordings of which case, the 관리번호, the user — so that the appliance releases exactly what
 * the API's checks allowed and nothing a control token alone could ask for.
 */
import type { KeyObject } from 'node:crypto';
import { signGrant, type GrantRequest } from '../infra/grants';

/** A one-off release (party export, provision package) is asked for at once: its grant need not outlive the request. */
const ONE_OFF_VALIDITY_MS = 5 * 60_000;
/** The appliance runs on its own host: a grant is valid from a little before now, in case that clock is behind ours. */
const CLOCK_SKEW_MS = 60_000;

export interface AudioGrantFacts extends Pick<GrantRequest, 'kind' | 'recordings' | 'case' | 'subject'> {
  /** A viewing grant ends with the viewing window and serves every play inside it; without it, one use in minutes. */
  readonly until?: Date;
}

/** The grant token for one release, sent with the request as `X-Grant`. */
export function audioGrant(signingKey: KeyObject, facts: AudioGrantFacts, now = new Date()): string {
  const { until, ...request } = facts;
  return signGrant(
    signingKey,
    {
      ...request,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS).toISOString(),
      notAfter: (until ?? new Date(now.getTime() + ONE_OFF_VALIDITY_MS)).toISOString(),
      singleUse: until === undefined,
    },
    now,
  ).token;
}
