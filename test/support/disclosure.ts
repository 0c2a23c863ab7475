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
