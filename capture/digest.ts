/**
 * HTTP Digest authentication (RFC 2617, MD5, with and without `qop=auth`) as RTSP devices speak it:
 * the pushing PBX or media gateway proves it knows the device password without sending it. MD5 is
 * what RTSP devices (ffmpeg, GStreamer, PBXs) implement; the link is also confined to the telecom room.
 * Nonces are stateless (a timestamp and an HMAC of it), so they expire and cannot be forged.
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

export class DigestAuthority {
  private readonly secret = randomBytes(32);

  constructor(
    readonly realm: string,
    private readonly lookup: (username: string) => string | undefined,
    private readonly nonceLifetimeMs = 5 * 60_000,
  ) {}

  challenge(now = Date.now()): string {
    return `Digest realm="${this.realm}", nonce="${this.nonce(now)}", algorithm=MD5, qop="auth"`;
  }

  /** The authenticated user name, or undefined (then answer 401 with a fresh challenge). */
  verify(authorization: string | undefined, method: string, requestUri: string, now = Date.now()): string | undefined {
    const params = parseDigestHeader(authorization);
    if (!params) return undefined;
    const username = params.get('username');
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    if (!username || !nonce || !uri || !response || params.get('realm') !== this.realm) return undefined;
    // The answer must be for this request, or a captured header could be replayed on another URI.
    if (uri !== requestUri) return undefined;
    if (!this.nonceValid(nonce, now)) return undefined;
    const password = this.lookup(username);
    if (password === undefined) return undefined;
    const expected = digestResponse({ username, password }, this.realm, nonce, method, uri, params);
    const a = Buffer.from(expected);
    const b = Buffer.from(response.toLowerCase());
    return a.length === b.length && timingSafeEqual(a, b) ? username : undefined;
  }

  private nonce(now: number): string {
    const stamp = now.toString(16);
    return `${stamp}.${createHmac('sha256', this.secret).update(stamp).digest('hex').slice(0, 32)}`;
  }

  private nonceValid(nonce: string, now: number): boolean {
    const [stamp, mac] = nonce.split('.');
    if (!stamp || !mac || !/^[0-9a-f]{1,13}$/.test(stamp)) return false;
    const expected = Buffer.from(this.nonce(parseInt(stamp, 16)));
    const given = Buffer.from(nonce);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const age = now - parseInt(stamp, 16);
    return age >= 0 && age <= this.nonceLifetimeMs;
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
  const offersAuth = (params.get('qop') ?? '').split(',').map((value) => value.trim()).includes('auth');
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
