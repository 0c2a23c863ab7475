import { Migration } from '@mikro-orm/migrations';

/** Data backups on the retention clock: each with the latest due date of what it holds, and when it was destroyed (issue 19). */
export class Migration20261208010000_backup_record extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "backup_record" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "location" varchar(1024) not null, "manifest_sha256" varchar(64) not null, "latest_due_at" timestamptz null, "destroyed_at" timestamptz null, "destroyed_by" varchar(128) null, constraint "backup_record_pkey" primary key ("id"));`,
    );
  }
}
