/** The audit chain under attack, for the suites that prove tampering is found. */
import type { TestDatabase } from './databases';

/** What an attacker with database rights would do: switch the append-only guard off first, run `sql`, switch it on. */
export async function withoutAppendOnlyGuard(db: TestDatabase, sql: string): Promise<void> {
  const connection = db.orm.em.getConnection();
  if (db.driver === 'sqlite') {
    await connection.execute('drop trigger if exists audit_event_no_update');
    await connection.execute('drop trigger if exists audit_event_no_delete');
    await connection.execute(sql);
  } else {
    await connection.execute('alter table audit_event disable trigger audit_event_no_change');
    await connection.execute(sql);
    await connection.execute('alter table audit_event enable trigger audit_event_no_change');
  }
}
