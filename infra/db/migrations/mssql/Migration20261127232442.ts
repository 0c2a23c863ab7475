import { Migration } from '@mikro-orm/migrations';

export class Migration20261127232442 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      "CREATE TABLE [generated_document] ([id] uniqueidentifier not null, [created_at] datetime2 not null, [updated_at] datetime2 not null, [idempotency_key] nvarchar(200) not null, [kind] nvarchar(64) not null, [case_type] nvarchar(64) not null, [case_id] nvarchar(128) not null, [purpose] nvarchar(100) not null, [template_source] nvarchar(100) check ([template_source] in ('built-in', 'city')) not null, [sha256] nvarchar(64) not null, [size_bytes] int not null, [created_by] nvarchar(128) not null, [wrapped_key] nvarchar(max) not null, CONSTRAINT [generated_document_pkey] PRIMARY KEY ([id]))",
    );
    this.addSql(
      'CREATE UNIQUE INDEX [generated_document_idempotency_key_unique] ON [generated_document] ([idempotency_key]) WHERE [idempotency_key] IS NOT NULL',
    );
    this.addSql('CREATE INDEX [generated_document_case_type_case_id_index] ON [generated_document] ([case_type], [case_id])');
  }
}
