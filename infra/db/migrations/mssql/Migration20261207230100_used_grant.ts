import { Migration } from '@mikro-orm/migrations';

/** Single-use grants the appliance has released audio against, kept until their end (issue 18). */
export class Migration20261207230100_used_grant extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [used_grant] ([id] nvarchar(36) not null, [used_at] datetime2 not null, [not_after] datetime2 not null, CONSTRAINT [used_grant_pkey] PRIMARY KEY ([id]))',
    );
  }
}
