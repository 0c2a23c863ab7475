/** RTSP Digest (RFC 2617) as the capture appliance checks it: the password, the request it answers, and the nonce rules. */
import { answerChallenge, DigestAuthority } from '../../capture/digest';

describe('Digest authentication', () => {
  const authority = new DigestAuthority('gm-capture', (user) => (user === 'pbx' ? '교환기-비밀' : undefined));
  const uri = 'rtsp://127.0.0.1:8554/calls/abc';
  const good = { username: 'pbx', password: '교환기-비밀' };

  test('the right password is accepted, with and without qop', () => {
    const challenge = authority.challenge();
    expect(authority.verify(answerChallenge(challenge, good, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual({ username: 'pbx' });
    const legacy = challenge.replace(', qop="auth"', '');
    expect(authority.verify(answerChallenge(legacy, good, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual({ username: 'pbx' });
  });

  test('a wrong password, another user, another method or URI, a forged nonce are refused', () => {
    const challenge = authority.challenge();
    const invalid = { refused: 'invalid' };
    expect(authority.verify(answerChallenge(challenge, { ...good, password: 'x' }, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual(invalid);
    expect(authority.verify(answerChallenge(challenge, { ...good, username: 'other' }, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual(invalid);
    expect(authority.verify(answerChallenge(challenge, good, 'ANNOUNCE', uri), 'RECORD', uri)).toEqual(invalid);
    expect(authority.verify(answerChallenge(challenge, good, 'ANNOUNCE', uri), 'ANNOUNCE', `${uri}x`)).toEqual(invalid);
    const forged = challenge.replace(/nonce="[^"]+"/, `nonce="${Date.now().toString(16)}.${'0'.repeat(12)}.${'0'.repeat(32)}"`);
    expect(authority.verify(answerChallenge(forged, good, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual(invalid);
    expect(authority.verify('Basic cGJ4OnB3', 'ANNOUNCE', uri)).toEqual(invalid);
  });

  test('an expired nonce with the right password is stale, so the device answers the fresh challenge', () => {
    const old = authority.challenge(Date.now() - 10 * 60_000);
    expect(authority.verify(answerChallenge(old, good, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual({ refused: 'stale' });
    expect(authority.verify(answerChallenge(old, { ...good, password: 'x' }, 'ANNOUNCE', uri), 'ANNOUNCE', uri)).toEqual({ refused: 'invalid' });
    expect(authority.challenge(Date.now(), true)).toMatch(/, stale=true$/);
  });

  test('with qop the nonce count must grow: a captured header replayed is refused', () => {
    const challenge = authority.challenge();
    const first = answerChallenge(challenge, good, 'GET_PARAMETER', uri, 1);
    expect(authority.verify(first, 'GET_PARAMETER', uri)).toEqual({ username: 'pbx' });
    expect(authority.verify(first, 'GET_PARAMETER', uri)).toEqual({ refused: 'replayed' });
    expect(authority.verify(answerChallenge(challenge, good, 'GET_PARAMETER', uri, 2), 'GET_PARAMETER', uri)).toEqual({ username: 'pbx' });
  });

  test('a captured header is refused however many nonces are used after it: 20,000, twice the counts kept', () => {
    const fresh = new DigestAuthority('gm-capture', (user) => (user === 'pbx' ? '교환기-비밀' : undefined));
    const now = Date.now();
    const captured = answerChallenge(fresh.challenge(now), good, 'GET_PARAMETER', uri, 1);
    expect(fresh.verify(captured, 'GET_PARAMETER', uri, now)).toEqual({ username: 'pbx' });
    let accepted = 0;
    for (let call = 0; call < 20_000; call++) {
      const header = answerChallenge(fresh.challenge(now + 1), good, 'GET_PARAMETER', uri, 1);
      if ('username' in fresh.verify(header, 'GET_PARAMETER', uri, now + 1)) accepted++;
    }
    expect(accepted).toBe(20_000);
    // Well within the nonce's five minutes.
    expect(fresh.verify(captured, 'GET_PARAMETER', uri, now + 2)).toEqual({ refused: 'stale' });
  });

  test('a device whose nonce count was dropped is answered stale and goes on with the fresh challenge', () => {
    const busy = new DigestAuthority('gm-capture', (user) => (user === 'pbx' ? '교환기-비밀' : undefined), { maxTrackedNonces: 2 });
    const now = Date.now();
    const mine = busy.challenge(now);
    expect(busy.verify(answerChallenge(mine, good, 'GET_PARAMETER', uri, 1), 'GET_PARAMETER', uri, now)).toEqual({ username: 'pbx' });
    for (const at of [now + 1, now + 2]) busy.verify(answerChallenge(busy.challenge(at), good, 'GET_PARAMETER', uri, 1), 'GET_PARAMETER', uri, at);
    expect(busy.verify(answerChallenge(mine, good, 'GET_PARAMETER', uri, 2), 'GET_PARAMETER', uri, now + 3)).toEqual({ refused: 'stale' });
    const renewed = busy.challenge(now + 3, true);
    expect(busy.verify(answerChallenge(renewed, good, 'GET_PARAMETER', uri, 1), 'GET_PARAMETER', uri, now + 3)).toEqual({ username: 'pbx' });
  });

  test('counts of expired nonces are dropped without sending any device back: a nonce issued before they went is accepted', () => {
    const busy = new DigestAuthority('gm-capture', (user) => (user === 'pbx' ? '교환기-비밀' : undefined), { maxTrackedNonces: 2, nonceLifetimeMs: 1000 });
    const now = Date.now();
    const use = (at: number) => busy.verify(answerChallenge(busy.challenge(at), good, 'GET_PARAMETER', uri, 1), 'GET_PARAMETER', uri, at);
    use(now);
    use(now);
    const waiting = busy.challenge(now + 1500);
    use(now + 2000);
    use(now + 2000);
    expect(busy.verify(answerChallenge(waiting, good, 'GET_PARAMETER', uri, 1), 'GET_PARAMETER', uri, now + 2000)).toEqual({ username: 'pbx' });
  });
});
