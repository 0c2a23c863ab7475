/**
 * The grant key pair of a test process: startTestApi signs with its private half and startTestAppliance verifies with
 * its public half, as the back office and the appliance hold them. Suites that ask the appliance for audio themselves
 * sign their grants with `testGrant`.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { ViewingAudio, ViewingAudioRequest } from '../../capture/control-contract';
import type { CaptureControlClient, DisclosurePackageOrder, SealedDisclosurePackage } from '../../capture/control-client';
import { signGrant, type GrantKind, type GrantRequest } from '../../infra/grants';

export const TEST_GRANT_KEYS = generateKeyPairSync('ed25519');

/** A grant valid for the next five minutes for `recordings`; `overrides` for the grants a suite wants refused. */
export function testGrant(
  kind: GrantKind,
  recordings: readonly string[],
  overrides: Partial<GrantRequest> & { managementNumber?: string; signingKey?: KeyObject } = {},
): string {
  const { signingKey = TEST_GRANT_KEYS.privateKey, managementNumber, ...request } = overrides;
  const now = Date.now();
  return signGrant(signingKey, {
    kind,
    recordings: [...recordings],
    case: { type: 'test', id: 'test-case', ...(managementNumber ? { managementNumber } : {}) },
    subject: 'lee.operator',
    notBefore: new Date(now - 60_000).toISOString(),
    notAfter: new Date(now + 5 * 60_000).toISOString(),
    singleUse: kind !== 'viewing',
    ...request,
  }).token;
}

/** A provision package asked for directly, against a grant for exactly its recordings and 관리번호. */
export function sealPackage(client: CaptureControlClient, order: DisclosurePackageOrder): Promise<SealedDisclosurePackage> {
  return client.buildDisclosurePackage(order, testGrant('provision', order.recordingIds, { managementNumber: order.managementNumber }));
}

/** Viewing audio asked for directly, against a viewing grant for that recording and 관리번호. */
export function playForViewing(client: CaptureControlClient, recordingId: string, request: ViewingAudioRequest): Promise<ViewingAudio> {
  return client.viewingAudio(recordingId, request, testGrant('viewing', [recordingId], { managementNumber: request.managementNumber }));
}
