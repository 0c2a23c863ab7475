/**
 * HTTP Digest authentication (RFC 2617, MD5, with and without `qop=auth`) as RTSP devices speak it:
 * the pushing PBX or media gateway proves it knows the device password without sending it. MD5 is
 * what RTSP devices (ffmpeg, GStreamer, PBXs) implement; the link is also confined to the telecom room.
 * Nonces are stateless (a timestamp, a serial number and an HMAC of both), so they expire and cannot be forged. With `qop=auth` the
 * nonce count must grow with each request, so a captured header cannot be replayed within the nonce's lifetime;
 * without qop (RFC 2069 devices) it could be, on the same URI and method only. An expired nonce with the right
 * password is answered `stale=true`, so a device in a long call re-authenticates instead of giving up.
 *
 * The highest count of each used nonce is remembered until the nonce expires, for at most `maxTrackedNonces` nonces.
 * When more are in use, the first used is forgotten and its serial number becomes a floor: a nonce issued at or
 * before it that is not remembered is answered `stale=true`. Forgetting a count therefore never lets its header be
 * replayed, however many nonces are issued; an honest device only takes a fresh challenge.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

interface Issue {
  readonly at: number;
  readonly serial: number;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export interface DigestCredentials {
  username: string;
  password: string;
}

/** Parses `Digest a="b", c=d` into lower-case keys; undefined for any other scheme. */
export function parseDigestHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header || !/^Digest\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let match = pattern.exec(header.slice(7)); match; match = pattern.exec(header.slice(7))) {
    params.set((match[1] as string).toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] as string));
  }
  return params;
}

/** The user name a Digest header claims, before anything is checked: what failures are counted against. */
export function claimedUsername(header: string | undefined): string | undefined {
  return parseDigestHeader(header)?.get('username');
}

export type DigestVerdict = { readonly username: string } | { readonly refused: 'invalid' | 'stale' | 'replayed' };

export interface DigestOptions {
  readonly nonceLifetimeMs?: number;
  /** Used nonces whose count is remembered at once (about 100 bytes each); see the top of this file. */
  readonly maxTrackedNonces?: number;
}

export class DigestAuthority {
  private readonly secret = randomBytes(32);
  /** The next nonce's serial number: nonces are ordered by issue even within one millisecond. */
  private serial = 0;
  /** By nonce, in the order of first use: the highest count seen and when the nonce was issued. */
  private readonly counts = new Map<string, { count: number; issue: Issue }>();
  /** Nonces with a serial number up to this, and not in `counts`, may have had their count forgotten. */
  private forgottenUpTo = -1;
  private readonly nonceLifetimeMs: number;
  private readonly maxTrackedNonces: number;

  constructor(
    readonly realm: string,
    private readonly lookup: (username: string) => string | undefined,
    options: DigestOptions = {},
  ) {
    this.nonceLifetimeMs = options.nonceLifetimeMs ?? 5 * 60_000;
    this.maxTrackedNonces = options.maxTrackedNonces ?? 10_000;
  }

  challenge(now = Date.now(), stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce({ at: now, serial: this.serial++ })}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /** The authenticated user name, or why not (then answer 401 with a fresh challenge, `stale` for an expired nonce). */
  verify(authorization: string | undefined, method: string, requestUri: string, now = Date.now()): DigestVerdict {
    const invalid = { refused: 'invalid' } as const;
    const params = parseDigestHeader(authorization);
    if (!params) return invalid;
    const username = params.get('username');
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    if (!username || !nonce || !uri || !response || params.get('realm') !== this.realm) return invalid;
    // The answer must be for this request, or a captured header could be replayed on another URI.
    if (uri !== requestUri) return invalid;
    const issue = this.issueOf(nonce, now);
    if (issue === undefined) return invalid;
    const password = this.lookup(username);
    if (password === undefined) return invalid;
    const expected = Buffer.from(digestResponse({ username, password }, this.realm, nonce, method, uri, params));
    const given = Buffer.from(response.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return invalid;
    if (now - issue.at > this.nonceLifetimeMs) return { refused: 'stale' };
    if (params.get('qop') !== 'auth') return { username };
    this.forgetExpired(now);
    const tracked = this.counts.get(nonce);
    if (!tracked && issue.serial <= this.forgottenUpTo) return { refused: 'stale' };
    // A device that never counts (always nc=1) is answered stale too: it retries with a fresh nonce.
    const nc = params.get('nc');
    const count = nc && /^[0-9a-f]{8}$/i.test(nc) ? parseInt(nc, 16) : undefined;
    if (count === undefined || (tracked && count <= tracked.count)) return { refused: 'replayed' };
    if (tracked) tracked.count = count;
    else this.track(nonce, count, issue, now);
    return { username };
  }

  private track(nonce: string, count: number, issue: Issue, now: number): void {
    this.counts.set(nonce, { count, issue });
    if (this.counts.size <= this.maxTrackedNonces) return;
    const [oldest, state] = this.counts.entries().next().value as [string, { issue: Issue }];
    this.counts.delete(oldest);
    // An expired nonce is refused by its age already; only a live one raises the floor.
    if (now - state.issue.at <= this.nonceLifetimeMs) this.forgottenUpTo = Math.max(this.forgottenUpTo, state.issue.serial);
  }

  /** Expired nonces at the front go: they are refused as stale by their age, remembered or not. */
  private forgetExpired(now: number): void {
    for (const [nonce, { issue }] of this.counts) {
      if (now - issue.at <= this.nonceLifetimeMs) return;
      this.counts.delete(nonce);
    }
  }

  /** `<time>.<serial>.<mac>`: the serial also makes two challenges of one millisecond differ, so their counts are apart. */
  private nonce(issue: Issue): string {
    const stamped = `${issue.at.toString(16)}.${issue.serial.toString(16).padStart(12, '0')}`;
    return `${stamped}.${createHmac('sha256', this.secret).update(stamped).digest('hex').slice(0, 32)}`;
  }

  /** When one of our nonces was issued; undefined for a nonce we did not issue or one from the future. */
  private issueOf(nonce: string, now: number): Issue | undefined {
    const [stamp, serial, mac, ...rest] = nonce.split('.');
    if (!stamp || !serial || !mac || rest.length > 0 || !/^[0-9a-f]{1,13}$/.test(stamp) || !/^[0-9a-f]{12}$/.test(serial)) return undefined;
    const issue = { at: parseInt(stamp, 16), serial: parseInt(serial, 16) };
    const given = Buffer.from(nonce);
    const expected = Buffer.from(this.nonce(issue));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return issue.at <= now ? issue : undefined;
  }
}

function digestResponse(
  credentials: DigestCredentials,
  realm: string,
  nonce: string,
  method: string,
  uri: string,
  params: ReadonlyMap<string, string>,
): string {
  const ha1 = md5(`${credentials.username}:${realm}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qop = params.get('qop');
  if (qop === 'auth') return md5(`${ha1}:${nonce}:${params.get('nc') ?? ''}:${params.get('cnonce') ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${nonce}:${ha2}`);
}

/** The client side: the Authorization header answering a server's `WWW-Authenticate` challenge. */
export function answerChallenge(challenge: string, credentials: DigestCredentials, method: string, uri: string, count = 1): string | undefined {
  const params = parseDigestHeader(challenge);
  const realm = params?.get('realm');
  const nonce = params?.get('nonce');
  if (!params || realm === undefined || !nonce) return undefined;
  const offersAuth = (params.get('qop') ?? '')
    .split(',')
    .map((value) => value.trim())
    .includes('auth');
  const answer = new Map<string, string>();
  if (offersAuth) {
    answer.set('qop', 'auth');
    answer.set('nc', count.toString(16).padStart(8, '0'));
    answer.set('cnonce', randomBytes(8).toString('hex'));
  }
  const response = digestResponse(credentials, realm, nonce, method, uri, answer);
  const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  const fields = [
    `username=${quoted(credentials.username)}`,
    `realm=${quoted(realm)}`,
    `nonce=${quoted(nonce)}`,
    `uri=${quoted(uri)}`,
    `response=${quoted(response)}`,
    'algorithm=MD5',
  ];
  if (offersAuth) fields.push('qop=auth', `nc=${answer.get('nc') as string}`, `cnonce=${quoted(answer.get('cnonce') as string)}`);
  return `Digest ${fields.join(', ')}`;
}
