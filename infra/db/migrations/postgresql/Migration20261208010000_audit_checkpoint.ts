import { Migration } from '@mikro-orm/migrations';

/** Where the live audit chain starts after archiving (issue 19): one signed checkpoint per archived segment. */
export class Migration20261208010000_audit_checkpoint extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_checkpoint" ("last_seq" int not null, "first_seq" int not null, "prev_hash" varchar(64) not null, "last_hash" varchar(64) not null, "entry_count" int not null, "first_at" timestamptz not null, "last_at" timestamptz not null, "segment_file" varchar(128) not null, "segment_sha256" varchar(64) not null, "key_sha256" varchar(64) not null, "signature" varchar(128) not null, "created_at" timestamptz not null, constraint "audit_checkpoint_pkey" primary key ("last_seq"));`,
    );
    this.addSql(`alter table "audit_checkpoint" add constraint "audit_checkpoint_first_seq_unique" unique ("first_seq");`);
    this.addSql(`alter table "audit_checkpoint" add constraint "audit_checkpoint_segment_file_unique" unique ("segment_file");`);
  }
}
