import { Migration } from '@mikro-orm/migrations';

/** Where the live audit chain starts after archiving (issue 19): one signed checkpoint per archived segment. */
export class Migration20261208010000_audit_checkpoint extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [audit_checkpoint] ([last_seq] int not null, [first_seq] int not null, [prev_hash] nvarchar(64) not null, [last_hash] nvarchar(64) not null, [entry_count] int not null, [first_at] datetime2 not null, [last_at] datetime2 not null, [segment_file] nvarchar(128) not null, [segment_sha256] nvarchar(64) not null, [key_sha256] nvarchar(64) not null, [signature] nvarchar(128) not null, [created_at] datetime2 not null, CONSTRAINT [audit_checkpoint_pkey] PRIMARY KEY ([last_seq]))',
    );
    this.addSql('CREATE UNIQUE INDEX [audit_checkpoint_first_seq_unique] ON [audit_checkpoint] ([first_seq]) WHERE [first_seq] IS NOT NULL');
    this.addSql('CREATE UNIQUE INDEX [audit_checkpoint_segment_file_unique] ON [audit_checkpoint] ([segment_file]) WHERE [segment_file] IS NOT NULL');
  }
}
