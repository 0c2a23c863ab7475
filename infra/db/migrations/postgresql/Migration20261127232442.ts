import { Migration } from '@mikro-orm/migrations';

export class Migration20261127232442 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "generated_document" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "idempotency_key" varchar(200) not null, "kind" varchar(64) not null, "case_type" varchar(64) not null, "case_id" varchar(128) not null, "purpose" varchar(100) not null, "template_source" text check ("template_source" in ('built-in', 'city')) not null, "sha256" varchar(64) not null, "size_bytes" int not null, "created_by" varchar(128) not null, "wrapped_key" text not null, constraint "generated_document_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "generated_document" add constraint "generated_document_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "generated_document_case_type_case_id_index" on "generated_document" ("case_type", "case_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "generated_document" cascade;`);
  }
}
