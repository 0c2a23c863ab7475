import { Migration } from '@mikro-orm/migrations';

/**
 * Login counts per account as the directory knows it (issue 22): keyed by the canonical DN instead of the name as typed.
 * The old counts are keyed by typed names and cannot be carried over; they are waits of minutes at most, so dropped.
 */
export class Migration20261207221500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists "login_throttle" cascade;`);
    this.addSql(
      `create table "login_throttle" ("account_key" varchar(450) not null, "username" varchar(128) not null, "failures" int not null default 0, "last_failure_at" timestamptz null, "locked_until" timestamptz null, constraint "login_throttle_pkey" primary key ("account_key"));`,
    );
  }
}
