import { Migration } from '@mikro-orm/migrations';

/**
 * Login counts per account as the directory knows it (issue 22): keyed by the canonical DN instead of the name as typed.
 * The old counts are keyed by typed names and cannot be carried over; they are waits of minutes at most, so dropped.
 */
export class Migration20261207221500 extends Migration {
  override async up(): Promise<void> {
    this.addSql('DROP TABLE [login_throttle]');
    this.addSql(
      'CREATE TABLE [login_throttle] ([account_key] nvarchar(450) not null, [username] nvarchar(128) not null, [failures] int not null CONSTRAINT [login_throttle_failures_default] DEFAULT 0, [last_failure_at] datetime2 null, [locked_until] datetime2 null, CONSTRAINT [login_throttle_pkey] PRIMARY KEY ([account_key]))',
    );
  }
}
