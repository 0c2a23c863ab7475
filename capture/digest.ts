/**
 * HTTP Digest authentication (RFC 2617, MD5, with and without `qop=auth`) as RTSP devices speak it:
 * the pushing PBX or media gateway proves it knows the device password without sending it. MD5 is
 * what RTSP devices (ffmpeg, GStreamer, PBXs) implement; the link is also confined to the telecom room.
 * Nonces are stateless (a timestamp and an HMAC of it), so they expire and cannot be forged. With `qop=auth` the
 * nonce count must grow with each request, so a captured header cannot be replayed within the nonce's lifetime;
 * without qop (RFC 2069 devices) it could be, on the same URI and method only. An expired nonce with the right
 * password is answered `stale=true`, so a device in a long call re-authenticates instead of giving up.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

export type DigestVerdict = { readonly username: string } | { readonly refused: 'invalid' | 'stale' | 'replayed' };

/** Nonces whose highest count is remembered; the oldest are forgotten first (then their next use is refused). */
const MAX_TRACKED_NONCES = 10_000;

export class DigestAuthority {
  private readonly secret = randomBytes(32);
  private readonly counts = new Map<string, number>();

  constructor(
    readonly realm: string,
    private readonly lookup: (username: string) => string | undefined,
    private readonly nonceLifetimeMs = 5 * 60_000,
  ) {}

  challenge(now = Date.now(), stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce(now)}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
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
    const age = this.nonceAge(nonce, now);
    if (age === undefined) return invalid;
    const password = this.lookup(username);
    if (password === undefined) return invalid;
    const expected = Buffer.from(digestResponse({ username, password }, this.realm, nonce, method, uri, params));
    const given = Buffer.from(response.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return invalid;
    if (age > this.nonceLifetimeMs) return { refused: 'stale' };
    // A device that never counts (always nc=1) is answered stale too: it retries with a fresh nonce.
    if (params.get('qop') === 'auth' && !this.countGrows(nonce, params.get('nc'))) return { refused: 'replayed' };
    return { username };
  }

  private countGrows(nonce: string, nc: string | undefined): boolean {
    if (!nc || !/^[0-9a-f]{8}$/i.test(nc)) return false;
    const count = parseInt(nc, 16);
    const last = this.counts.get(nonce);
    if (last !== undefined && count <= last) return false;
    this.counts.delete(nonce);
    this.counts.set(nonce, count);
    if (this.counts.size > MAX_TRACKED_NONCES) this.counts.delete(this.counts.keys().next().value as string);
    return true;
  }

  /** `<time>.<salt>.<mac>`: the salt makes two challenges of one millisecond differ, so their counts are apart. */
  private nonce(now: number, salt = randomBytes(6).toString('hex')): string {
    const stamped = `${now.toString(16)}.${salt}`;
    return `${stamped}.${createHmac('sha256', this.secret).update(stamped).digest('hex').slice(0, 32)}`;
  }

  /** How old one of our nonces is; undefined for a nonce we did not issue or one from the future. */
  private nonceAge(nonce: string, now: number): number | undefined {
    const [stamp, salt, mac, ...rest] = nonce.split('.');
    if (!stamp || !salt || !mac || rest.length > 0 || !/^[0-9a-f]{1,13}$/.test(stamp) || !/^[0-9a-f]{12}$/.test(salt)) return undefined;
    const expected = Buffer.from(this.nonce(parseInt(stamp, 16), salt));
    const given = Buffer.from(nonce);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const age = now - parseInt(stamp, 16);
    return age >= 0 ? age : undefined;
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
