import { Migration } from '@mikro-orm/migrations';

/** 첨부파일 (evidence with a full-recording application; scans of the disclosure procedure). */
export class Migration20261128082428 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`attachment\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`owner_type\` text check (\`owner_type\` in ('full_recording_application', 'disclosure_request')) not null, \`owner_id\` text not null, \`purpose\` text not null, \`file_name\` text not null, \`content_type\` text not null, \`size_bytes\` integer not null, \`sha256\` text not null, \`uploaded_by\` text not null, \`wrapped_key\` text not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`attachment_owner_type_owner_id_index\` on \`attachment\` (\`owner_type\`, \`owner_id\`);`);
  }
}
