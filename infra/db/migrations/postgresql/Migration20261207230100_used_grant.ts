import { Migration } from '@mikro-orm/migrations';

/** Single-use grants the appliance has released audio against, kept until their end (issue 18). */
export class Migration20261207230100_used_grant extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "used_grant" ("id" varchar(36) not null, "used_at" timestamptz not null, "not_after" timestamptz not null, constraint "used_grant_pkey" primary key ("id"));`,
    );
  }
}
