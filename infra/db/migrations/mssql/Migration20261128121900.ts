import { Migration } from '@mikro-orm/migrations';

/** 월간 접근기록 점검: each month's access report and the chief's sign-off (issue 9). */
export class Migration20261128121900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "CREATE TABLE [access_review] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [month] nvarchar(7) not null, [workflow_id] nvarchar(200) not null, [report_document_id] nvarchar(64) not null, [summary] nvarchar(max) not null, [status] nvarchar(100) check ([status] in ('awaiting_sign_off', 'signed_off')) not null CONSTRAINT [access_review_status_default] DEFAULT 'awaiting_sign_off', [signed_off_by] nvarchar(128) null, [signed_off_at] datetime2 null, [comment] nvarchar(max) null, CONSTRAINT [access_review_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE UNIQUE INDEX [access_review_month_unique] ON [access_review] ([month]) WHERE [month] IS NOT NULL');
  }
}
