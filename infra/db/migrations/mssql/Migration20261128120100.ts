import { Migration } from '@mikro-orm/migrations';

/** Closed case workflows' histories, archived for replay in audits (issue 9). */
export class Migration20261128120100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [archived_history] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [workflow_id] nvarchar(200) not null, [run_id] nvarchar(64) not null, [workflow_type] nvarchar(100) not null, [case_type] nvarchar(64) not null, [case_id] nvarchar(128) not null, [close_status] nvarchar(32) not null, [closed_at] datetime2 not null, [event_count] int not null, [sha256] nvarchar(64) not null, [size_bytes] int not null, [wrapped_key] nvarchar(max) not null, CONSTRAINT [archived_history_pkey] PRIMARY KEY ([id]))',
    );
    this.addSql('CREATE INDEX [archived_history_case_type_case_id_index] ON [archived_history] ([case_type], [case_id])');
    this.addSql('CREATE INDEX [archived_history_workflow_type_closed_at_index] ON [archived_history] ([workflow_type], [closed_at])');
    this.addSql(
      'CREATE UNIQUE INDEX [archived_history_workflow_id_run_id_unique] ON [archived_history] ([workflow_id], [run_id]) WHERE [workflow_id] IS NOT NULL AND [run_id] IS NOT NULL',
    );
  }
}
