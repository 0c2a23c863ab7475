import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log is append-only in the database itself, not only by convention in the code, and its
 * chain head exists before the first append.
 */
export class Migration20261127230000_audit_append_only extends Migration {
  override async up(): Promise<void> {
    // The chain starts from a fixed genesis hash; every append locks this one row.
    this.addSql(`insert into audit_chain_head (id, last_seq, last_hash) values (1, 0, '${'0'.repeat(64)}')`);
    this.addSql(`create trigger audit_event_no_update before update on audit_event begin select raise(abort, 'audit_event is append-only'); end`);
    this.addSql(`create trigger audit_event_no_delete before delete on audit_event begin select raise(abort, 'audit_event is append-only'); end`);
  }
}
