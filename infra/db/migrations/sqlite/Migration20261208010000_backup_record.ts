import { Migration } from '@mikro-orm/migrations';

/** Data backups on the retention clock: each with the latest due date of what it holds, and when it was destroyed (issue 19). */
export class Migration20261208010000_backup_record extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`backup_record\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`location\` text not null, \`manifest_sha256\` text not null, \`latest_due_at\` datetime null, \`destroyed_at\` datetime null, \`destroyed_by\` text null, primary key (\`id\`));`,
    );
  }
}
