import { Migration } from '@mikro-orm/migrations';

/**
 * Audit retention (issue 19): the audit log stays append-only, with one narrow way out — an entry may be deleted only
 * once a checkpoint covers it (its `seq` at or below the newest `audit_checkpoint.last_seq`), and a checkpoint may only
 * be inserted when it continues the previous one exactly and names the live entries' own hashes (two checkpoints
 * starting at the same entry are refused by the unique `first_seq`, also between concurrent transactions). Checkpoints
 * are themselves append-only. Updates of entries, truncation, and deleting any entry no checkpoint covers stay refused.
 *
 * What this does not stop, and what does instead: someone with rights to insert rows could insert a checkpoint that
 * fits the live rows and then delete them. The checkpoint is then not signed by the audit signing key (a file outside
 * the database) and names no sealed segment in the archive folder, and `npm run audit:verify` reports both. Someone
 * with rights to disable or drop triggers was never stopped by them; the hash chain, the signed checkpoints and the
 * sealed segments show what they changed or removed (infra/audit/audit-archive.ts).
 */
export class Migration20261208010100_archived_audit_append_only extends Migration {
  override async up(): Promise<void> {
    // The same function behind the same triggers (`audit_event_no_change`, `audit_event_no_truncate`): only a row's
    // deletion under a checkpoint passes.
    this.addSql(
      `create or replace function audit_event_append_only() returns trigger language plpgsql as $$ begin ` +
        `if tg_op = 'DELETE' and tg_level = 'ROW' then ` +
        `if old.seq <= coalesce((select max(last_seq) from audit_checkpoint), 0) then return old; end if; ` +
        `end if; ` +
        `raise exception 'audit_event is append-only'; end $$`,
    );
    this.addSql(
      `create function audit_checkpoint_append_only() returns trigger language plpgsql as $$ begin raise exception 'audit_checkpoint is append-only'; end $$`,
    );
    this.addSql(
      `create trigger audit_checkpoint_no_change before update or delete on audit_checkpoint for each row execute function audit_checkpoint_append_only()`,
    );
    this.addSql(
      `create trigger audit_checkpoint_no_truncate before truncate on audit_checkpoint for each statement execute function audit_checkpoint_append_only()`,
    );
    this.addSql(
      `create function audit_checkpoint_continues() returns trigger language plpgsql as $$ ` +
        `declare previous_seq int; previous_hash varchar(64); begin ` +
        `select last_seq, last_hash into previous_seq, previous_hash from audit_checkpoint order by last_seq desc limit 1; ` +
        `if new.first_seq <> coalesce(previous_seq, 0) + 1 ` +
        `or new.last_seq < new.first_seq ` +
        `or new.entry_count <> new.last_seq - new.first_seq + 1 ` +
        `or new.prev_hash <> coalesce(previous_hash, '0000000000000000000000000000000000000000000000000000000000000000') ` +
        `or not exists (select 1 from audit_event where seq = new.first_seq and prev_hash = new.prev_hash) ` +
        `or not exists (select 1 from audit_event where seq = new.last_seq and hash = new.last_hash) then ` +
        `raise exception 'audit_checkpoint must continue the previous checkpoint and cover live audit entries'; ` +
        `end if; return new; end $$`,
    );
    this.addSql(`create trigger audit_checkpoint_in_order before insert on audit_checkpoint for each row execute function audit_checkpoint_continues()`);
  }
}
