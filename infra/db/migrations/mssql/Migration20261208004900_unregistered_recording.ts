import { Migration } from '@mikro-orm/migrations';

/** Recordings the capture appliance keeps but could not register, listed and destroyed on the retention clock (issue 19). */
export class Migration20261208004900_unregistered_recording extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "CREATE TABLE [unregistered_recording] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [call_id] nvarchar(128) null, [extension] nvarchar(32) null, [storage_key] nvarchar(255) null, [sha256] nvarchar(64) null, [code] nvarchar(100) check ([code] in ('UNKNOWN_EXTENSION', 'INCOMPLETE_METADATA', 'CALL_ID_CONFLICT', 'UNREADABLE')) not null, [reason] nvarchar(500) not null, [started_at] datetime2 not null, [started_at_basis] nvarchar(100) check ([started_at_basis] in ('call', 'file_modified', 'first_seen')) not null, [retention_due_at] datetime2 not null, [first_refused_at] datetime2 not null, [last_tried_at] datetime2 not null, [attempts] int not null CONSTRAINT [unregistered_recording_attempts_default] DEFAULT 1, [registered_at] datetime2 null, [destroyed_at] datetime2 null, CONSTRAINT [unregistered_recording_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE INDEX [unregistered_recording_retention_due_at_index] ON [unregistered_recording] ([retention_due_at])');
    this.addSql('CREATE INDEX [unregistered_recording_first_refused_at_index] ON [unregistered_recording] ([first_refused_at])');
  }
}
