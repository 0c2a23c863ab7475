/**
 * Grants (issue 18): signed by the back office's key, checked by the appliance with the public key only. A grant
 * verifies only whole, unchanged, from this key and inside its window; anything else is refused with a stable code.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadGrantPublicKey, loadGrantSigningKey, signGrant, verifyGrant, type GrantRequest } from '../../infra/grants';
import { SecretFileError } from '../../infra/keys';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const at = (iso: string) => new Date(iso);
const REQUEST: GrantRequest = {
  kind: 'viewing',
  recordings: ['0b5c2f4e-6a55-4c1e-9d7a-1f2e3d4c5b6a'],
  case: { type: 'disclosure_request', id: 'c0ffee00-0000-4000-8000-000000000001', managementNumber: '2026-0012' },
  subject: 'lee.operator',
  notBefore: '2026-12-08T00:00:00.000Z',
  notAfter: '2026-12-09T00:00:00.000Z',
  singleUse: false,
};

test('a grant verifies inside its window with its public key, and says what it covers', () => {
  const { token, grant } = signGrant(privateKey, REQUEST, at('2026-12-07T23:00:00Z'));
  expect(verifyGrant(publicKey, token, at('2026-12-08T10:00:00Z'))).toEqual({ grant });
  expect(grant).toMatchObject({ v: 1, kind: 'viewing', recordings: REQUEST.recordings, extensions: [], issuedAt: '2026-12-07T23:00:00.000Z' });
});

test('before and after its window, signed by another key, changed by one byte, or not a grant: refused with its code', () => {
  const { token } = signGrant(privateKey, REQUEST);
  expect(verifyGrant(publicKey, token, at('2026-12-07T23:59:59Z'))).toMatchObject({ refused: 'GRANT_NOT_YET_VALID' });
  expect(verifyGrant(publicKey, token, at('2026-12-09T00:00:00Z'))).toMatchObject({ refused: 'GRANT_EXPIRED' });
  const other = generateKeyPairSync('ed25519');
  expect(verifyGrant(publicKey, signGrant(other.privateKey, REQUEST).token, at('2026-12-08T10:00:00Z'))).toMatchObject({ refused: 'GRANT_SIGNATURE_INVALID' });
  // A grant widened to another recording: the payload changes, the signature no longer fits.
  const [payload, signature] = token.split('.') as [string, string];
  const widened = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace(REQUEST.recordings![0]!, 'ffffffff-6a55-4c1e-9d7a-1f2e3d4c5b6a'));
  expect(verifyGrant(publicKey, `${widened.toString('base64url')}.${signature}`, at('2026-12-08T10:00:00Z'))).toMatchObject({
    refused: 'GRANT_SIGNATURE_INVALID',
  });
  for (const junk of ['', 'abc', `${payload}.${signature}.x`, `${payload}.!!`, 'a'.repeat(20_000) + '.b']) {
    expect(verifyGrant(publicKey, junk, at('2026-12-08T10:00:00Z'))).toMatchObject({ refused: 'GRANT_MALFORMED' });
  }
  // The key signing something that is no grant (no domain prefix, not its schema) does not make one.
  const bare = Buffer.from(JSON.stringify({ kind: 'viewing' }));
  expect(verifyGrant(publicKey, `${bare.toString('base64url')}.${sign(null, bare, privateKey).toString('base64url')}`)).toMatchObject({
    refused: 'GRANT_SIGNATURE_INVALID',
  });
});

test('development creates the key pair once (private key owner-only); production refuses to start without the files', () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'grant-keys-'));
  try {
    const files = { grantSigningKeyFile: path.join(folder, 'keys', 'grant-signing.pem'), grantPublicKeyFile: path.join(folder, 'keys', 'grant-public.pem') };
    expect(() => loadGrantPublicKey({ environment: 'production', ...files })).toThrow(SecretFileError);
    expect(() => loadGrantSigningKey({ environment: 'production', ...files })).toThrow(SecretFileError);
    const signing = loadGrantSigningKey({ environment: 'development', ...files });
    const publicHalf = loadGrantPublicKey({ environment: 'production', ...files });
    expect(statSync(files.grantSigningKeyFile).mode & 0o077).toBe(0);
    expect(verifyGrant(publicHalf, signGrant(signing, REQUEST).token, at('2026-12-08T10:00:00Z'))).toHaveProperty('grant');
    const before = readFileSync(files.grantSigningKeyFile, 'utf8');
    loadGrantSigningKey({ environment: 'development', ...files });
    expect(readFileSync(files.grantSigningKeyFile, 'utf8')).toBe(before);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
