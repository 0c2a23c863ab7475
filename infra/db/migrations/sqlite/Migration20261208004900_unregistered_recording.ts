import { Migration } from '@mikro-orm/migrations';

/** Recordings the capture appliance keeps but could not register, listed and destroyed on the retention clock (issue 19). */
export class Migration20261208004900_unregistered_recording extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`unregistered_recording\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`call_id\` text null, \`extension\` text null, \`storage_key\` text null, \`sha256\` text null, \`code\` text check (\`code\` in ('UNKNOWN_EXTENSION', 'INCOMPLETE_METADATA', 'CALL_ID_CONFLICT', 'UNREADABLE')) not null, \`reason\` text not null, \`started_at\` datetime not null, \`started_at_basis\` text check (\`started_at_basis\` in ('call', 'file_modified', 'first_seen')) not null, \`retention_due_at\` datetime not null, \`first_refused_at\` datetime not null, \`last_tried_at\` datetime not null, \`attempts\` integer not null default 1, \`registered_at\` datetime null, \`destroyed_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`unregistered_recording_retention_due_at_index\` on \`unregistered_recording\` (\`retention_due_at\`);`);
    this.addSql(`create index \`unregistered_recording_first_refused_at_index\` on \`unregistered_recording\` (\`first_refused_at\`);`);
  }
}
