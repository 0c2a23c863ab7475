/**
 * Grants: what the back office (API and worker) allows the capture appliance to do with audio and with recording modes,
 * signed with a key only the back office holds (issue 18). The appliance holds the public key only, so a token that
 * reaches it — a leaked control token, a PBX script, a compromised worker host without the key — cannot make a grant:
 * audio leaves the appliance, and an extension records in full, only as a signed grant says.
 *
 * A grant is `<payload>.<signature>`, both base64url: the payload is the JSON of `GrantPayload`, the signature Ed25519
 * over the payload's exact bytes with a domain prefix, so a signature made for anything else (a package manifest)
 * never verifies here. Verification is a result, never an exception: each refusal has a stable code.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { createOnce, SecretFileError } from './keys';
import type { Settings } from './settings';

/** What a grant allows: Art. 9 viewing (열람) or provision (제공), the party's own export (R5), or full recording (R1). */
export const GRANT_KINDS = ['viewing', 'provision', 'party-export', 'full-recording'] as const;
export type GrantKind = (typeof GRANT_KINDS)[number];

const DOMAIN = Buffer.from('gm-telephone-recording:grant:v1\0', 'utf8');
const MAX_GRANT_CHARS = 16 * 1024;

const payloadSchema = z.strictObject({
  v: z.literal(1),
  id: z.uuid(),
  kind: z.enum(GRANT_KINDS),
  /** The recordings it covers (audio grants); every recording a request names must be among them. */
  recordings: z.array(z.string().min(1).max(64)).max(50).default([]),
  /** The extensions it covers (full-recording grants). */
  extensions: z.array(z.string().min(1).max(32)).max(200).default([]),
  /** The case it belongs to: a disclosure request (with its 관리번호), a full-recording application, or a party export. */
  case: z.strictObject({ type: z.string().min(1).max(64), id: z.string().min(1).max(128), managementNumber: z.string().max(16).optional() }),
  /** The user the grant names: who views, receives, exports, or who approved. */
  subject: z.string().min(1).max(128),
  issuedAt: z.iso.datetime(),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  /** Used once only (party export, provision package): the appliance remembers it until `notAfter`. */
  singleUse: z.boolean(),
});
export type GrantPayload = z.output<typeof payloadSchema>;
export type GrantRequest = Omit<z.input<typeof payloadSchema>, 'v' | 'id' | 'issuedAt'>;

export type GrantRefusalCode = 'GRANT_MALFORMED' | 'GRANT_SIGNATURE_INVALID' | 'GRANT_NOT_YET_VALID' | 'GRANT_EXPIRED';
/** `grantId`: given once the signature holds (a grant refused for its time window), so that the refusal can name it. */
export type GrantVerdict = { readonly grant: GrantPayload } | { readonly refused: GrantRefusalCode; readonly message: string; readonly grantId?: string };

/** Signs a new grant (a fresh id, issued now). */
export function signGrant(privateKey: KeyObject, request: GrantRequest, now = new Date()): { token: string; grant: GrantPayload } {
  const grant = payloadSchema.parse({ ...request, v: 1, id: randomUUID(), issuedAt: now.toISOString() });
  const payload = Buffer.from(JSON.stringify(grant), 'utf8');
  const signature = sign(null, Buffer.concat([DOMAIN, payload]), privateKey);
  return { token: `${payload.toString('base64url')}.${signature.toString('base64url')}`, grant };
}

/** Checks a grant's signature and its time window; what it covers is the caller's to check against the request. */
export function verifyGrant(publicKey: KeyObject, token: string, now = new Date()): GrantVerdict {
  const malformed = { refused: 'GRANT_MALFORMED', message: '허가(grant) 형식이 올바르지 않습니다.' } as const;
  if (token.length > MAX_GRANT_CHARS || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return malformed;
  const [encodedPayload, encodedSignature] = token.split('.') as [string, string];
  const payload = Buffer.from(encodedPayload, 'base64url');
  if (!verify(null, Buffer.concat([DOMAIN, payload]), publicKey, Buffer.from(encodedSignature, 'base64url'))) {
    return { refused: 'GRANT_SIGNATURE_INVALID', message: '허가(grant)의 서명이 이 시스템의 허가 키로 만든 것이 아닙니다.' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return malformed;
  }
  const result = payloadSchema.safeParse(parsed);
  if (!result.success) return malformed;
  const grant = result.data;
  if (now < new Date(grant.notBefore))
    return { refused: 'GRANT_NOT_YET_VALID', message: `허가(grant)는 ${grant.notBefore}부터 유효합니다.`, grantId: grant.id };
  if (now >= new Date(grant.notAfter)) return { refused: 'GRANT_EXPIRED', message: `허가(grant)가 ${grant.notAfter}에 끝났습니다.`, grantId: grant.id };
  return { grant };
}

/**
 * The back office's grant signing key (Ed25519, PKCS#8 PEM; GRANT_SIGNING_KEY_FILE). Development creates it on first
 * start, with its public half beside it (GRANT_PUBLIC_KEY_FILE) for the appliance; production refuses to start
 * without it.
 */
export function loadGrantSigningKey(settings: GrantKeySettings): KeyObject {
  createDevelopmentKeyPair(settings);
  return readEd25519Key(settings.grantSigningKeyFile, 'GRANT_SIGNING_KEY_FILE', '허가 서명 키 파일', 'Ed25519 개인키(PKCS#8 PEM)', (pem) =>
    createPrivateKey({ key: pem, format: 'pem' }),
  );
}

/** The public key the appliance verifies grants with (GRANT_PUBLIC_KEY_FILE); production refuses to start without it. */
export function loadGrantPublicKey(settings: GrantKeySettings): KeyObject {
  createDevelopmentKeyPair(settings);
  return readEd25519Key(settings.grantPublicKeyFile, 'GRANT_PUBLIC_KEY_FILE', '허가 공개키 파일', 'Ed25519 공개키(SPKI PEM)', (pem) =>
    createPublicKey({ key: pem, format: 'pem' }),
  );
}

type GrantKeySettings = Pick<Settings, 'environment' | 'grantSigningKeyFile' | 'grantPublicKeyFile'>;

function readEd25519Key(file: string, variable: string, what: string, format: string, parse: (pem: string) => KeyObject): KeyObject {
  if (!existsSync(file)) throw new SecretFileError(`${what}이 없습니다: ${file} (${variable})`);
  let key: KeyObject | undefined;
  try {
    key = parse(readFileSync(file, 'utf8'));
  } catch {
    // Not passed on: OpenSSL's message may quote what it could not parse, and a private key file is a secret.
  }
  if (key?.asymmetricKeyType !== 'ed25519') throw new SecretFileError(`${what}은 ${format}여야 합니다: ${file} (${variable})`);
  return key;
}

/** Development only: one key pair, the private key first, the public key from it, each written once. */
function createDevelopmentKeyPair(settings: GrantKeySettings): void {
  if (settings.environment !== 'development') return;
  createOnce(true, settings.grantSigningKeyFile, () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  createOnce(true, settings.grantPublicKeyFile, () =>
    createPublicKey(createPrivateKey({ key: readFileSync(settings.grantSigningKeyFile, 'utf8'), format: 'pem' }))
      .export({ type: 'spki', format: 'pem' })
      .toString(),
  );
}
