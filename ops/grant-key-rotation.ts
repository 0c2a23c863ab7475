/**
 * Rotation of the grant signing key (issue 18): a new Ed25519 pair replaces GRANT_SIGNING_KEY_FILE (the old one kept
 * beside it as `.previous` until the operator destroys it) and GRANT_PUBLIC_KEY_FILE when this host has it — on a
 * split installation the public half is printed for the appliance's host. Nothing signed with the old key needs it
 * later: the API signs a fresh grant for every release, and approvals already stored with extensions stay. One audit
 * entry names both keys by their fingerprints.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/core';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { replaceFileDurably } from '../infra/durable-files';
import { loadGrantSigningKey } from '../infra/grants';
import { packageSigningPublicKey, type PublishedKey } from '../infra/keys';
import type { Settings } from '../infra/settings';

export interface GrantKeyRotation {
  readonly oldKey: PublishedKey;
  readonly newKey: PublishedKey;
  /** Where the old private key was kept. */
  readonly retiredKeyFile: string;
  /** Whether GRANT_PUBLIC_KEY_FILE was on this host and now holds the new public key. */
  readonly publicKeyWritten: boolean;
}

export async function rotateGrantKey(
  orm: MikroORM,
  settings: Pick<Settings, 'environment' | 'grantSigningKeyFile' | 'grantPublicKeyFile'>,
  actor: string,
): Promise<GrantKeyRotation> {
  const oldKey = packageSigningPublicKey(loadGrantSigningKey(settings));
  const pair = generateKeyPairSync('ed25519');
  const newKey = packageSigningPublicKey(pair.publicKey);
  const retiredKeyFile = `${settings.grantSigningKeyFile}.previous`;
  copyFileSync(settings.grantSigningKeyFile, retiredKeyFile);
  replaceFileDurably(settings.grantSigningKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const publicKeyWritten = existsSync(settings.grantPublicKeyFile);
  if (publicKeyWritten) replaceFileDurably(settings.grantPublicKeyFile, newKey.pem, 0o644);
  await orm.em.fork().transactional((em) =>
    appendAuditEvent(em, {
      actor,
      role: 'system',
      sourceAddress: 'local',
      action: 'grant_key.rotated',
      targetType: 'key',
      targetId: 'grant-signing',
      reason: '허가 서명 키 교체',
      detail: { oldKeySha256: oldKey.sha256, newKeySha256: newKey.sha256, publicKeyWritten },
    }),
  );
  return { oldKey, newKey, retiredKeyFile, publicKeyWritten };
}
