/**
 * Audit retention (issue 19), what needs no database: the cutoff counted back by the calendar in the city's time zone,
 * the setting (at least a year), and search entries kept compact — bytes measured before and after.
 */
import { canonicalJson } from '../../infra/audit/audit-log';
import { auditArchiveCutoff } from '../../infra/audit/audit-archive';
import { loadSettings, SettingsError } from '../../infra/settings';
import { PAGE_SIZE_MAX, SEARCH_AUDIT_IDS, searchAuditDetail, type RecordingSearchQuery, type RecordingSummary } from '../../api/recording-search';

test('entries before 00:00 in Seoul of the day the period reaches back to are due; months and years by the calendar', () => {
  const cutoff = (now: string, period: string) => {
    const settings = loadSettings({ AUDIT_RETENTION_PERIOD: period });
    return auditArchiveCutoff(new Date(now), settings.auditRetentionPeriod, 'Asia/Seoul').toISOString();
  };
  // 8 December 2026, 12:00 KST: two years back is 8 December 2024, which begins at 15:00 UTC the day before.
  expect(cutoff('2026-12-08T03:00:00Z', '2y')).toBe('2024-12-07T15:00:00.000Z');
  // 00:30 KST on 9 December is already the 9th in Seoul (15:30 UTC on the 8th).
  expect(cutoff('2026-12-08T15:30:00Z', '2y')).toBe('2024-12-08T15:00:00.000Z');
  // From 29 February, a year back has no 29th: the last day of that February.
  expect(cutoff('2028-02-29T03:00:00Z', '1y')).toBe('2027-02-27T15:00:00.000Z');
  expect(cutoff('2027-03-31T03:00:00Z', '13m')).toBe('2026-02-27T15:00:00.000Z');
  expect(cutoff('2026-12-08T03:00:00Z', '400d')).toBe('2025-11-02T15:00:00.000Z');
});

test('AUDIT_RETENTION_PERIOD: two years by default, never less than one (안전성 확보조치 기준 제8조)', () => {
  expect(loadSettings({}).auditRetentionPeriod).toEqual({ amount: 2, unit: 'year' });
  for (const enough of ['1y', '12m', '365d', '5y']) expect(() => loadSettings({ AUDIT_RETENTION_PERIOD: enough })).not.toThrow();
  for (const tooShort of ['11m', '364d', '30d']) {
    let error: unknown;
    try {
      loadSettings({ AUDIT_RETENTION_PERIOD: tooShort });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([{ env: 'AUDIT_RETENTION_PERIOD', message: expect.stringContaining('1년 이상') }]);
  }
  expect(loadSettings({ DATA_DIR: '/srv/recording' }).auditSigningKeyFile).toBe('/srv/recording/keys/audit-signing.pem');
});

test('a search entry stays compact: a full page names its first ids, the count and a hash of all, not every id', () => {
  const ids = Array.from({ length: PAGE_SIZE_MAX }, (_, n) => `0000${String(n).padStart(4, '0')}-1111-4222-8333-444455556666`);
  const items = ids.map((id) => ({ id }) as RecordingSummary);
  const query = { from: '2026-11-01', to: '2026-11-30', otherParty: '010-1234', limit: PAGE_SIZE_MAX } as RecordingSearchQuery;
  const range = { from: '2026-11-01', to: '2026-11-30' };
  // What every search wrote before: the query, the scope and every id shown.
  const before = Buffer.byteLength(canonicalJson({ query, scope: 'everything', resultIds: ids }));
  const detail = searchAuditDetail(query, { ...range, items }, 'everything');
  const after = Buffer.byteLength(canonicalJson(detail));
  expect(before).toBeGreaterThan(3_900);
  expect(after).toBeLessThan(1_200);
  expect(after / before).toBeLessThan(0.3);
  expect(detail).toMatchObject({
    resultCount: PAGE_SIZE_MAX,
    resultIds: ids.slice(0, SEARCH_AUDIT_IDS),
    resultIdsOmitted: PAGE_SIZE_MAX - SEARCH_AUDIT_IDS,
    resultIdsSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  // A small result is named whole, as before.
  expect(searchAuditDetail(query, { ...range, items: items.slice(0, 3) }, 'ownCalls')).toEqual({
    query,
    ...range,
    scope: 'ownCalls',
    resultCount: 3,
    resultIds: ids.slice(0, 3),
  });
});
