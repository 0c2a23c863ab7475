import { Migration } from '@mikro-orm/migrations';

export class Migration20261128082429 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "attachment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "owner_type" text check ("owner_type" in ('full_recording_application', 'disclosure_request')) not null, "owner_id" varchar(128) not null, "purpose" varchar(40) not null, "file_name" varchar(255) not null, "content_type" varchar(100) not null, "size_bytes" int not null, "sha256" varchar(64) not null, "uploaded_by" varchar(128) not null, "wrapped_key" text not null, constraint "attachment_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "attachment_owner_type_owner_id_index" on "attachment" ("owner_type", "owner_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "attachment" cascade;`);
  }
}
