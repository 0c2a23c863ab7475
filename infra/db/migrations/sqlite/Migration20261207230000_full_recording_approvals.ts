import { Migration } from '@mikro-orm/migrations';

/**
 * Modes backed by approvals (issue 18): the extension keeps the approval its full recording was granted for and the end
 * of that approval's period; a call recorded in full without one is `full_without_approval`. SQLite cannot change a
 * column's check, so the column is made again under the new check, its values copied.
 */
export class Migration20261207230000_full_recording_approvals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`extension\` add column \`full_recording_approval_id\` text null;`);
    this.addSql(`alter table \`extension\` add column \`full_recording_approved_until\` datetime null;`);
    this.addSql(`drop index \`recording_compliance_exception_started_at_index\`;`);
    this.addSql(
      `alter table \`recording\` add column \`compliance_exception_next\` text check (\`compliance_exception_next\` in ('notice_missing', 'full_without_approval')) null;`,
    );
    this.addSql(`update \`recording\` set \`compliance_exception_next\` = \`compliance_exception\`;`);
    this.addSql(`alter table \`recording\` drop column \`compliance_exception\`;`);
    this.addSql(`alter table \`recording\` rename column \`compliance_exception_next\` to \`compliance_exception\`;`);
    this.addSql(`create index \`recording_compliance_exception_started_at_index\` on \`recording\` (\`compliance_exception\`, \`started_at\`);`);
  }
}
