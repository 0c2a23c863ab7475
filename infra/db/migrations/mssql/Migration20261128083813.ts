import { Migration } from '@mikro-orm/migrations';

/** 관리번호 counter; disclosure requests' release and end; notifications' attached documents. */
export class Migration20261128083813 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [management_number_counter] ([year] int not null, [last_sequence] int not null, CONSTRAINT [management_number_counter_pkey] PRIMARY KEY ([year]))',
    );
    this.addSql('ALTER TABLE [disclosure_request] ADD [released_at] datetime2 null');
    this.addSql('ALTER TABLE [disclosure_request] ADD [package_sha256] nvarchar(64) null');
    this.addSql('ALTER TABLE [disclosure_request] ADD [ended_at] datetime2 null');
    this.addSql('ALTER TABLE [disclosure_request] ADD [end_reason] nvarchar(max) null');
    this.addSql('ALTER TABLE [notification] ADD [attachment_document_ids] nvarchar(max) null');
  }
}
