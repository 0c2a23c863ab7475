import { Migration } from '@mikro-orm/migrations';

/** 관리번호 counter; disclosure requests' release and end; notifications' attached documents. */
export class Migration20261128083813 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "management_number_counter" ("year" int not null, "last_sequence" int not null, constraint "management_number_counter_pkey" primary key ("year"));`,
    );

    this.addSql(
      `alter table "disclosure_request" add column "released_at" timestamptz null, add column "package_sha256" varchar(64) null, add column "ended_at" timestamptz null, add column "end_reason" text null;`,
    );

    this.addSql(`alter table "notification" add column "attachment_document_ids" jsonb null;`);
  }
}
