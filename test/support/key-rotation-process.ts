/**
 * A master key rotation in a process of its own, so a test can kill it for real (test/persistence/key-rotation.test.ts):
 * it runs ops/key-rotation.ts over DATABASE_SETTINGS, DATA_DIR and MASTER_KEY_FILE with BATCH_SIZE rows per
 * transaction, and SIGKILLs itself right after the step KILL_AT names — `rows:<table>:<n>` (the n-th committed batch
 * of that table), `file:<n>` (the n-th recording file done), `verified` or `audited`. Run from dist/.
 */
import { initOrm, type DatabaseSettings } from '../../infra/db/orm';
import { rotateMasterKey } from '../../ops/key-rotation';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const killAt = required('KILL_AT');
  const orm = await initOrm(JSON.parse(required('DATABASE_SETTINGS')) as DatabaseSettings);
  const batches = new Map<string, number>();
  let files = 0;
  await rotateMasterKey({
    orm,
    dataDir: required('DATA_DIR'),
    masterKeyFile: required('MASTER_KEY_FILE'),
    keepOldKey: process.env.KEEP_OLD_KEY === 'true',
    batchSize: Number(process.env.BATCH_SIZE ?? '500'),
    onProgress: (event) => {
      let step: string = event.kind;
      if (event.kind === 'rows') {
        batches.set(event.table, (batches.get(event.table) ?? 0) + 1);
        step = `rows:${event.table}:${batches.get(event.table)}`;
      } else if (event.kind === 'file') {
        step = `file:${++files}`;
      }
      if (step === killAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  await orm.close(true);
  process.stderr.write(`the rotation finished without reaching ${killAt}\n`);
  process.exit(3);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
