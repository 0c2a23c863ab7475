import { Migration } from '@mikro-orm/migrations';

/**
 * Login counts per account as the directory knows it (issue 22): keyed by the canonical DN instead of the name as typed.
 * The old counts are keyed by typed names and cannot be carried over; they are waits of minutes at most, so dropped.
 */
export class Migration20261207221500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists \`login_throttle\`;`);
    this.addSql(
      `create table \`login_throttle\` (\`account_key\` text not null, \`username\` text not null, \`failures\` integer not null default 0, \`last_failure_at\` datetime null, \`locked_until\` datetime null, primary key (\`account_key\`));`,
    );
  }
}
