import { Migration } from '@mikro-orm/migrations';

/**
 * Audit retention (issue 19): the audit log stays append-only, with one narrow way out — an entry may be deleted only
 * once a checkpoint covers it (its `seq` at or below the newest `audit_checkpoint.last_seq`), and a checkpoint may only
 * be inserted when it continues the previous one exactly and names the live entries' own hashes. Checkpoints are
 * themselves append-only. Updates of entries stay refused, as does deleting any entry no checkpoint covers. Each
 * trigger is its own batch (CREATE TRIGGER must be a batch's first statement); a THROW in a trigger ends the statement
 * and rolls its transaction back.
 *
 * What this does not stop, and what does instead: someone with rights to insert rows could insert a checkpoint that
 * fits the live rows and then delete them. The checkpoint is then not signed by the audit signing key (a file outside
 * the database) and names no sealed segment in the archive folder, and `npm run audit:verify` reports both. Someone
 * with rights to disable or drop triggers (or TRUNCATE, which fires none) was never stopped by them; the hash chain,
 * the signed checkpoints and the sealed segments show what they changed or removed (infra/audit/audit-archive.ts).
 */
export class Migration20261208010100_archived_audit_append_only extends Migration {
  override async up(): Promise<void> {
    this.addSql(`DROP TRIGGER [audit_event_append_only]`);
    this.addSql(`CREATE TRIGGER [audit_event_append_only] ON [audit_event] INSTEAD OF UPDATE AS BEGIN THROW 51000, N'audit_event is append-only', 1; END`);
    // Instead of the deletion: refused whole if any row is above the newest checkpoint, otherwise done (a statement on
    // the table inside its own INSTEAD OF trigger does not fire the trigger again).
    this.addSql(
      `CREATE TRIGGER [audit_event_archived_delete] ON [audit_event] INSTEAD OF DELETE AS BEGIN ` +
        `IF EXISTS (SELECT 1 FROM deleted WHERE [seq] > COALESCE((SELECT MAX([last_seq]) FROM [audit_checkpoint]), 0)) ` +
        `BEGIN THROW 51000, N'audit_event is append-only', 1; END ` +
        `DELETE [audit_event] FROM [audit_event] INNER JOIN deleted ON [audit_event].[seq] = deleted.[seq]; ` +
        `END`,
    );
    this.addSql(
      `CREATE TRIGGER [audit_checkpoint_append_only] ON [audit_checkpoint] INSTEAD OF UPDATE, DELETE AS BEGIN THROW 51000, N'audit_checkpoint is append-only', 1; END`,
    );
    // After the insertion (the new row is then in the table): the one before it is the highest below it.
    this.addSql(
      `CREATE TRIGGER [audit_checkpoint_continues] ON [audit_checkpoint] AFTER INSERT AS BEGIN ` +
        `IF (SELECT COUNT(*) FROM inserted) > 1 OR EXISTS (SELECT 1 FROM inserted i ` +
        `OUTER APPLY (SELECT TOP 1 c.[last_seq], c.[last_hash] FROM [audit_checkpoint] c WHERE c.[last_seq] < i.[last_seq] ORDER BY c.[last_seq] DESC) p ` +
        `WHERE i.[first_seq] <> COALESCE(p.[last_seq], 0) + 1 ` +
        `OR i.[last_seq] < i.[first_seq] ` +
        `OR i.[entry_count] <> i.[last_seq] - i.[first_seq] + 1 ` +
        `OR i.[prev_hash] <> COALESCE(p.[last_hash], N'0000000000000000000000000000000000000000000000000000000000000000') ` +
        `OR EXISTS (SELECT 1 FROM [audit_checkpoint] c WHERE c.[last_seq] > i.[last_seq]) ` +
        `OR NOT EXISTS (SELECT 1 FROM [audit_event] e WHERE e.[seq] = i.[first_seq] AND e.[prev_hash] = i.[prev_hash]) ` +
        `OR NOT EXISTS (SELECT 1 FROM [audit_event] e WHERE e.[seq] = i.[last_seq] AND e.[hash] = i.[last_hash])) ` +
        `BEGIN THROW 51000, N'audit_checkpoint must continue the previous checkpoint and cover live audit entries', 1; END ` +
        `END`,
    );
  }
}
