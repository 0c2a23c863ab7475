import type { RequestDetail } from '../../api/disclosure-schemas';
import { DisclosureRequest } from '../../infra/db/entities';
import type { TestClient } from './api';
import { eventually } from './eventually';
/**
 * A Form 1 as stored once the operator has registered it (a party's provision request about calls on `phoneNumber`),
 * for suites that put cases straight into the database. `sequence` makes the 관리번호 `2026-NNNN` unless one is given.
 */
export function disclosureRequestRow(
  sequence: number,
  phoneNumber: string,
  options: { workflowId?: string; registeredBy?: string; managementNumber?: string } = {},
): DisclosureRequest {
  const managementNumber = options.managementNumber ?? `2026-${String(sequence).padStart(4, '0')}`;
  return new DisclosureRequest(
    managementNumber,
    2026,
    sequence,
    options.workflowId ?? `disclosure-${managementNumber}`,
    'provision',
    '홍길동',
    '1980-01-01',
    '광명시 철산동',
    '010-0000-0000',
    '2026. 11. 1. 10:02',
    phoneNumber,
    '민원 분쟁 증빙',
    '통화 당사자',
    '통화 내용 확인',
    'party',
    new Date(),
    options.registeredBy ?? 'lee.operator',
  );
}

/** A Form 1 as the operator registers it for a party's provision request about calls on `phoneNumber` in the last hour. */
export function partyProvisionForm1(phoneNumber: string) {
  return {
    kind: 'provision',
    applicantName: '홍길동',
    applicantBirthDateOrBusinessNumber: '1980-01-01',
    applicantAddress: '경기도 광명시 철산로 123',
    applicantContact: '010-1234-5678',
    applicantEmail: 'hong@example.test',
    recordingFrom: new Date(Date.now() - 3_600_000).toISOString(),
    recordingTo: new Date(Date.now() + 60_000).toISOString(),
    phoneNumber,
    purpose: '민원 분쟁 증빙',
    relationToParty: '통화 당사자 본인',
    reason: '통화 내용 확인이 필요합니다.',
    ground: 'party',
    groundDetail: '신분증과 통화 시각으로 본인 확인',
  };
}

/** A disclosure request as `client` reads it through the API. */
export const requestDetail = async (client: TestClient, id: string): Promise<RequestDetail> =>
  (await client.json<RequestDetail>('GET', `/api/disclosure-requests/${id}`)).body;

/** The request once `check` holds of it, read again until then; a timeout names the workflow's last state. */
export async function requestDetailWhen(client: TestClient, id: string, check: (found: RequestDetail) => boolean): Promise<RequestDetail> {
  let last: RequestDetail | undefined;
  return eventually(
    async () => {
      last = await requestDetail(client, id);
      return check(last) && last;
    },
    { within: '15s', every: 100, what: `request ${id} reaching the state waited for` },
  ).catch((error: Error) => {
    throw new Error(`never reached: ${JSON.stringify(last?.workflow)}`, { cause: error });
  });
}
