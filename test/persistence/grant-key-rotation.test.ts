/**
 * `npm run rotate-grant-key` (issue 18), compiled, on a SQLite database: a new grant key pair replaces both halves on a
 * host that has both, the old private key kept beside it; grants of the new key verify with the new public key and
 * the old key's no longer do; one audit entry names both keys by fingerprint.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AuditEvent } from '../../infra/db/entities';
import { loadGrantSigningKey, signGrant, verifyGrant, type GrantRequest } from '../../infra/grants';
import { packageSigningPublicKey } from '../../infra/keys';
import { createTestDatabase, type TestDatabase } from '../support/databases';

const DIST = path.join(__dirname, '..', '..', 'dist');
const REQUEST: GrantRequest = {
  kind: 'party-export',
  recordings: ['0b5c2f4e-6a55-4c1e-9d7a-1f2e3d4c5b6a'],
  case: { type: 'party_export', id: '0b5c2f4e-6a55-4c1e-9d7a-1f2e3d4c5b6a' },
  subject: 'jung.staff',
  notBefore: new Date(Date.now() - 60_000).toISOString(),
  notAfter: new Date(Date.now() + 300_000).toISOString(),
  singleUse: true,
};

let db: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'grant-rotation-'));
});
afterAll(async () => {
  await db?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the grant key pair is replaced, the old private key kept beside it, audited with both fingerprints', async () => {
  const files = { grantSigningKeyFile: path.join(dataDir, 'keys', 'grant-signing.pem'), grantPublicKeyFile: path.join(dataDir, 'keys', 'grant-public.pem') };
  const oldKey = loadGrantSigningKey({ environment: 'development', ...files });
  const oldGrant = signGrant(oldKey, REQUEST).token;

  const { stdout } = await promisify(execFile)(process.execPath, [path.join(DIST, 'ops', 'cli', 'rotate-grant-key.js')], {
    env: { ...process.env, DATA_DIR: dataDir, DB_DRIVER: 'sqlite', DB_NAME: db.settings.databaseName },
  });
  const newKey = createPrivateKey(readFileSync(files.grantSigningKeyFile, 'utf8'));
  const newPublic = createPublicKey(readFileSync(files.grantPublicKeyFile, 'utf8'));
  const [oldFingerprint, newFingerprint] = [packageSigningPublicKey(oldKey).sha256, packageSigningPublicKey(newKey).sha256];
  expect(oldFingerprint).not.toBe(newFingerprint);
  expect(stdout).toContain(`${oldFingerprint} → 새 키 지문 ${newFingerprint}`);
  expect(statSync(files.grantSigningKeyFile).mode & 0o077).toBe(0);
  expect(createPrivateKey(readFileSync(`${files.grantSigningKeyFile}.previous`, 'utf8')).export({ type: 'pkcs8', format: 'der' })).toEqual(
    oldKey.export({ type: 'pkcs8', format: 'der' }),
  );

  expect(verifyGrant(newPublic, signGrant(newKey, REQUEST).token)).toHaveProperty('grant');
  expect(verifyGrant(newPublic, oldGrant)).toMatchObject({ refused: 'GRANT_SIGNATURE_INVALID' });
  const [entry] = await db.orm.em.fork().find(AuditEvent, { action: 'grant_key.rotated' });
  expect(JSON.parse(entry!.detail)).toEqual({ oldKeySha256: oldFingerprint, newKeySha256: newFingerprint, publicKeyWritten: true });
});
