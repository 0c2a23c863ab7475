import { Migration } from '@mikro-orm/migrations';

/** Data backups on the retention clock: each with the latest due date of what it holds, and when it was destroyed (issue 19). */
export class Migration20261208010000_backup_record extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [backup_record] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [location] nvarchar(1024) not null, [manifest_sha256] nvarchar(64) not null, [latest_due_at] datetime2 null, [destroyed_at] datetime2 null, [destroyed_by] nvarchar(128) null, CONSTRAINT [backup_record_pkey] PRIMARY KEY ([id]))',
    );
  }
}
