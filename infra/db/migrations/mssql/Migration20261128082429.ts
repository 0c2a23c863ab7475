import { Migration } from '@mikro-orm/migrations';

/** 첨부파일 (evidence with a full-recording application; scans of the disclosure procedure). */
export class Migration20261128082429 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "CREATE TABLE [attachment] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [owner_type] nvarchar(100) check ([owner_type] in ('full_recording_application', 'disclosure_request')) not null, [owner_id] nvarchar(128) not null, [purpose] nvarchar(40) not null, [file_name] nvarchar(255) not null, [content_type] nvarchar(100) not null, [size_bytes] int not null, [sha256] nvarchar(64) not null, [uploaded_by] nvarchar(128) not null, [wrapped_key] nvarchar(max) not null, CONSTRAINT [attachment_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql('CREATE INDEX [attachment_owner_type_owner_id_index] ON [attachment] ([owner_type], [owner_id])');
  }
}
