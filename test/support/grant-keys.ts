import { generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';

let keys: KeyPairKeyObjectResult | undefined;

/**
 * The back office's grant key pair for a test process: the activities sign with its private half and the test
 * appliance verifies with its public half, as the worker and the appliance do with GRANT_*_KEY_FILE.
 */
export function testGrantKeys(): KeyPairKeyObjectResult {
  keys ??= generateKeyPairSync('ed25519');
  return keys;
}
