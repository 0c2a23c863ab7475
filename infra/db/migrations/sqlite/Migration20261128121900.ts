import { Migration } from '@mikro-orm/migrations';

/** 월간 접근기록 점검: each month's access report and the chief's sign-off (issue 9). */
export class Migration20261128121900 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`access_review\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`month\` text not null, \`workflow_id\` text not null, \`report_document_id\` text not null, \`summary\` json not null, \`status\` text check (\`status\` in ('awaiting_sign_off', 'signed_off')) not null default 'awaiting_sign_off', \`signed_off_by\` text null, \`signed_off_at\` datetime null, \`comment\` text null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`access_review_month_unique\` on \`access_review\` (\`month\`);`);
  }
}
