import { Migration } from '@mikro-orm/migrations';

/**
 * Audit retention (issue 19): the audit log stays append-only, with one narrow way out — an entry may be deleted only
 * once a checkpoint covers it (its `seq` at or below the newest `audit_checkpoint.last_seq`), and a checkpoint may only
 * be inserted when it continues the previous one exactly and names the live entries' own hashes. Checkpoints are
 * themselves append-only. Updates of entries stay refused, as does deleting any entry no checkpoint covers.
 *
 * What this does not stop, and what does instead: someone with rights to insert rows could insert a checkpoint that
 * fits the live rows and then delete them. The checkpoint is then not signed by the audit signing key (a file outside
 * the database) and names no sealed segment in the archive folder, and `npm run audit:verify` reports both. Someone
 * with rights to drop triggers was never stopped by them; the hash chain, the signed checkpoints and the sealed
 * segments show what they changed or removed (infra/audit/audit-archive.ts).
 */
export class Migration20261208010100_archived_audit_append_only extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop trigger audit_event_no_delete`);
    this.addSql(
      `create trigger audit_event_no_delete before delete on audit_event when old.seq > (select coalesce(max(last_seq), 0) from audit_checkpoint) begin select raise(abort, 'audit_event is append-only'); end`,
    );
    this.addSql(
      `create trigger audit_checkpoint_no_update before update on audit_checkpoint begin select raise(abort, 'audit_checkpoint is append-only'); end`,
    );
    this.addSql(
      `create trigger audit_checkpoint_no_delete before delete on audit_checkpoint begin select raise(abort, 'audit_checkpoint is append-only'); end`,
    );
    this.addSql(
      `create trigger audit_checkpoint_continues before insert on audit_checkpoint when ` +
        `new.first_seq <> (select coalesce(max(last_seq), 0) from audit_checkpoint) + 1 ` +
        `or new.last_seq < new.first_seq ` +
        `or new.entry_count <> new.last_seq - new.first_seq + 1 ` +
        `or new.prev_hash <> coalesce((select last_hash from audit_checkpoint order by last_seq desc limit 1), '0000000000000000000000000000000000000000000000000000000000000000') ` +
        `or not exists (select 1 from audit_event where seq = new.first_seq and prev_hash = new.prev_hash) ` +
        `or not exists (select 1 from audit_event where seq = new.last_seq and hash = new.last_hash) ` +
        `begin select raise(abort, 'audit_checkpoint must continue the previous checkpoint and cover live audit entries'); end`,
    );
  }
}
