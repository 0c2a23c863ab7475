import { Migration } from '@mikro-orm/migrations';

/** Recordings the capture appliance keeps but could not register, listed and destroyed on the retention clock (issue 19). */
export class Migration20261208004900_unregistered_recording extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "unregistered_recording" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "call_id" varchar(128) null, "extension" varchar(32) null, "storage_key" varchar(255) null, "sha256" varchar(64) null, "code" text check ("code" in ('UNKNOWN_EXTENSION', 'INCOMPLETE_METADATA', 'CALL_ID_CONFLICT', 'UNREADABLE')) not null, "reason" varchar(500) not null, "started_at" timestamptz not null, "started_at_basis" text check ("started_at_basis" in ('call', 'file_modified', 'first_seen')) not null, "retention_due_at" timestamptz not null, "first_refused_at" timestamptz not null, "last_tried_at" timestamptz not null, "attempts" int not null default 1, "registered_at" timestamptz null, "destroyed_at" timestamptz null, constraint "unregistered_recording_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "unregistered_recording_retention_due_at_index" on "unregistered_recording" ("retention_due_at");`);
    this.addSql(`create index "unregistered_recording_first_refused_at_index" on "unregistered_recording" ("first_refused_at");`);
  }
}
