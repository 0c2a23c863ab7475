import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000802 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "login_throttle" ("username" varchar(128) not null, "failures" int not null default 0, "last_failure_at" timestamptz null, "locked_until" timestamptz null, constraint "login_throttle_pkey" primary key ("username"));`,
    );

    this.addSql(
      `create table "user_session" ("token_hash" varchar(64) not null, "username" varchar(128) not null, "display_name" varchar(100) not null, "roles" varchar(255) not null, "department_path" text not null, "extension" varchar(32) null, "csrf_token" varchar(64) not null, "source_address" varchar(64) not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, "ended_at" timestamptz null, "end_reason" text check ("end_reason" in ('logout', 'idle', 'absolute', 'superseded')) null, constraint "user_session_pkey" primary key ("token_hash"));`,
    );
    this.addSql(`create index "user_session_username_index" on "user_session" ("username");`);

    this.addSql(`create index "recording_extension_id_started_at_index" on "recording" ("extension_id", "started_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "login_throttle" cascade;`);

    this.addSql(`drop table if exists "user_session" cascade;`);

    this.addSql(`drop index "recording_extension_id_started_at_index";`);
  }
}
