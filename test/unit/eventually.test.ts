/** The test helper that waits for a condition with a deadline (test/support/eventually.ts). */
import { eventually, eventuallyPasses, milliseconds } from '../support/eventually';

test('resolves to the first truthy answer; false, null and undefined are asked again', async () => {
  const answers = [false, null, undefined, { id: 7 }];
  let tries = 0;
  await expect(eventually(() => answers[tries++], { within: '5s', every: 1 })).resolves.toEqual({ id: 7 });
  expect(tries).toBe(4);
});

test('a probe that throws is "not yet"; after the deadline its last error is rethrown, with what and the wait', async () => {
  let tries = 0;
  const failed = await eventuallyPasses(
    () => {
      tries++;
      expect(tries).toBe(0);
    },
    { within: 30, every: 5, what: 'tries to be zero' },
  ).catch((error: Error) => error);
  expect(failed).toBeInstanceOf(Error);
  expect((failed as Error).message).toMatch(/^tries to be zero was not met within 30 \(waited \d+ ms, \d+ tries\); the last try failed with:\n/);
  expect((failed as Error).message).toContain('toBe');
  expect(tries).toBeGreaterThan(1);
});

test('an answer never truthy is reported with the last answer', async () => {
  await expect(eventually(async () => 0, { within: '20ms', every: 5 })).rejects.toThrow(/the condition was not met within 20ms .*; the last answer was 0$/);
});

test('assertions that pass resolve to what they return', async () => {
  let count = 0;
  await expect(
    eventuallyPasses(
      () => {
        count++;
        expect(count).toBeGreaterThanOrEqual(3);
        return count;
      },
      { within: '5s', every: 1 },
    ),
  ).resolves.toBe(3);
});

test('durations', () => {
  expect([milliseconds(250), milliseconds('500ms'), milliseconds('5s'), milliseconds('1.5s'), milliseconds('2m')]).toEqual([250, 500, 5000, 1500, 120_000]);
  expect(() => milliseconds('5 seconds')).toThrow(RangeError);
});
