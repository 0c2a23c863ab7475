/**
 * 관리번호 (Form 4): `YYYY-NNNN`, unique and gap-free per year, on SQLite and a real PostgreSQL — even when many
 * registrations race for the year's first number and some of them fail after taking theirs (their numbers go back).
 */
import { DisclosureRequest } from '../../infra/db/entities';
import { formatManagementNumber, takeManagementNumber } from '../../infra/db/management-number';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';

class RegistrationFailed extends Error {}

describe.each(availableDrivers())('management numbers on %s', (driver) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(driver);
  });
  afterEach(async () => db?.dispose());

  /** One registration as the API makes it: the number and the row in one transaction; `fail` rolls it back after. */
  const register = (year: number, index: number, fail: boolean) =>
    db.orm.em.fork().transactional(async (tx) => {
      const number = await takeManagementNumber(tx, year);
      const row = new DisclosureRequest(
        number.managementNumber,
        number.year,
        number.sequence,
        `disclosure-test-${year}-${index}`,
        'viewing',
        `신청인${index}`,
        '1980-01-01',
        '경기도 광명시',
        '010-0000-0000',
        '2026. 11. 27. 14:00',
        '02-2680-1234',
        '확인',
        '본인',
        '사유입니다',
        'party',
        new Date(),
        'lee.operator',
      );
      tx.persist(row);
      await tx.flush();
      if (fail) throw new RegistrationFailed(number.managementNumber);
      return number.managementNumber;
    });

  test('30 registrations at once, every fifth failing: the others numbered 0001… without a gap or a repeat', async () => {
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, index) => register(2026, index, index % 5 === 4)));
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures).toHaveLength(6);
    for (const failure of failures) expect(failure.reason).toBeInstanceOf(RegistrationFailed);
    const numbers = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])).sort();
    expect(numbers).toEqual(Array.from({ length: 24 }, (_, index) => formatManagementNumber(2026, index + 1)));
    const stored = await db.orm.em.fork().find(DisclosureRequest, { year: 2026 }, { orderBy: { sequence: 'asc' } });
    expect(stored.map((row) => row.managementNumber)).toEqual(numbers);
  });

  test('each year starts again at 0001', async () => {
    expect(await register(2026, 1, false)).toBe('2026-0001');
    expect(await register(2026, 2, false)).toBe('2026-0002');
    expect(await register(2027, 3, false)).toBe('2027-0001');
    expect(await register(2026, 4, false)).toBe('2026-0003');
  });
});
