import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log is append-only in the database itself, not only by convention in the code, and its
 * chain head exists before the first append.
 */
export class Migration20261127230000_audit_append_only extends Migration {
  override async up(): Promise<void> {
    // The chain starts from a fixed genesis hash; every append locks this one row.
    this.addSql(`INSERT INTO [audit_chain_head] ([id], [last_seq], [last_hash]) VALUES (1, 0, N'${'0'.repeat(64)}')`);
    this.addSql(
      `CREATE TRIGGER [audit_event_append_only] ON [audit_event] INSTEAD OF UPDATE, DELETE AS BEGIN THROW 51000, N'audit_event is append-only', 1; END`,
    );
  }
}
