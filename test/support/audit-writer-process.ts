/**
 * Another process writing the same database, as the worker and the capture appliance do beside the API: it appends an
 * audit entry in a transaction of its own every few milliseconds until it is stopped (SIGTERM), and prints `ready`
 * once its first entry is committed. Opens the database DATABASE_SETTINGS names. Run from dist/.
 */
import { appendAuditEvent } from '../../infra/audit/audit-log';
import { initOrm, type DatabaseSettings } from '../../infra/db/orm';

async function main(): Promise<void> {
  const orm = await initOrm(JSON.parse(process.env.DATABASE_SETTINGS as string) as DatabaseSettings);
  let running = true;
  process.on('SIGTERM', () => (running = false));
  for (let count = 1; running; count++) {
    await orm.em.fork().transactional((em) =>
      appendAuditEvent(em, {
        actor: 'system:captureAppliance',
        role: 'system',
        sourceAddress: 'test',
        action: 'recording.registered',
        targetType: 'recording',
        targetId: `writer-${count}`,
        reason: '다른 프로세스의 쓰기',
      }),
    );
    if (count === 1) process.stdout.write('ready\n');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await orm.close(true);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
