import { Migration } from '@mikro-orm/migrations';

/** Where the live audit chain starts after archiving (issue 19): one signed checkpoint per archived segment. */
export class Migration20261208010000_audit_checkpoint extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`audit_checkpoint\` (\`last_seq\` integer not null, \`first_seq\` integer not null, \`prev_hash\` text not null, \`last_hash\` text not null, \`entry_count\` integer not null, \`first_at\` datetime not null, \`last_at\` datetime not null, \`segment_file\` text not null, \`segment_sha256\` text not null, \`key_sha256\` text not null, \`signature\` text not null, \`created_at\` datetime not null, primary key (\`last_seq\`));`,
    );
    this.addSql(`create unique index \`audit_checkpoint_first_seq_unique\` on \`audit_checkpoint\` (\`first_seq\`);`);
    this.addSql(`create unique index \`audit_checkpoint_segment_file_unique\` on \`audit_checkpoint\` (\`segment_file\`);`);
  }
}
