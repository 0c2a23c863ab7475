/**
 * The rules of failed RTSP logins with a clock of our own: when a source is slowed, blocked and let go, whose
 * failures count against whom, and what the audit chain is given of them.
 */
import { AuthFailureLog, AuthThrottle, DEFAULT_AUTH_LIMITS } from '../../capture/auth-throttle';

const PBX = '10.20.0.5';
const STRANGER = '198.51.100.7';
const OTHER_STRANGER = '203.0.113.9';

function throttleWithClock(): { throttle: AuthThrottle; advance: (ms: number) => void } {
  let now = 1_000_000;
  return {
    throttle: new AuthThrottle(
      (address) => address === PBX,
      DEFAULT_AUTH_LIMITS,
      () => now,
    ),
    advance: (ms) => (now += ms),
  };
}

test('failures are answered later and later, the fifth blocks the address and the name for five minutes, then the block ends', () => {
  const { throttle, advance } = throttleWithClock();
  const delays = [1, 2, 3, 4].map(() => throttle.failed(STRANGER, 'pbx-1'));
  expect(delays).toEqual([250, 500, 1000, 2000].map((delayMs) => ({ blocked: false, delayMs })));
  expect(throttle.failed(STRANGER, 'pbx-1')).toEqual({ blocked: true, blockedForMs: 5 * 60_000 });
  expect(throttle.blocked(STRANGER, undefined)).toBe(true);
  expect(throttle.blocked(STRANGER, 'pbx-2')).toBe(true);
  // Guessing one device from many addresses is still slowed...
  expect(throttle.blocked(OTHER_STRANGER, 'pbx-1')).toBe(true);
  expect(throttle.blocked(OTHER_STRANGER, 'pbx-2')).toBe(false);
  // ...but a stranger never locks the PBX out of its device.
  expect(throttle.blocked(PBX, 'pbx-1')).toBe(false);
  advance(5 * 60_000 + 1);
  expect(throttle.blocked(STRANGER, 'pbx-1')).toBe(false);
});

test('failures older than ten minutes are forgotten: a device mistyped now and then is never blocked', () => {
  const { throttle, advance } = throttleWithClock();
  for (let round = 0; round < 3; round++) {
    for (let failure = 0; failure < 4; failure++) expect(throttle.failed(STRANGER, 'pbx-1').blocked).toBe(false);
    advance(10 * 60_000 + 1);
  }
  expect(throttle.failed(STRANGER, 'pbx-1')).toEqual({ blocked: false, delayMs: 250 });
});

test("at the PBX's address failures count per device name tried there, and block only that name there", () => {
  const { throttle } = throttleWithClock();
  for (let failure = 0; failure < 4; failure++) throttle.failed(PBX, 'pbx-9');
  expect(throttle.failed(PBX, 'pbx-9')).toMatchObject({ blocked: true });
  expect(throttle.blocked(PBX, 'pbx-9')).toBe(true);
  expect(throttle.blocked(PBX, 'pbx-1')).toBe(false);
  expect(throttle.blocked(PBX, undefined)).toBe(false);
  expect(throttle.blocked(STRANGER, 'pbx-9')).toBe(false);
});

test('the audit summary: per address, ten names at most, a hundred addresses and then one "*"; summaries given back are merged', () => {
  const log = new AuthFailureLog();
  for (let name = 0; name < 12; name++) log.record(STRANGER, `device-${name}`, 'failed');
  log.record(STRANGER, 'device-0', 'blocked');
  log.record(STRANGER, undefined, 'refused-blocked');
  for (let address = 0; address < 150; address++) log.record(`10.99.0.${address}`, 'pbx-1', 'failed');
  const drained = log.drain();
  expect(drained).toHaveLength(101);
  const stranger = drained.find((summary) => summary.address === STRANGER);
  expect(stranger).toMatchObject({ failures: 12, refusedWhileBlocked: 1, blocked: true, moreDevices: true });
  expect(stranger?.devices).toHaveLength(10);
  expect(drained.find((summary) => summary.address === '*')).toMatchObject({ failures: 51, devices: ['pbx-1'], blocked: false });
  expect(log.drain()).toEqual([]);

  // The audit write failed: the summaries come back and are written with the next interval's.
  log.restore(drained);
  log.record(STRANGER, 'device-0', 'failed');
  expect(log.drain().find((summary) => summary.address === STRANGER)).toMatchObject({ failures: 13, refusedWhileBlocked: 1, blocked: true });
});
