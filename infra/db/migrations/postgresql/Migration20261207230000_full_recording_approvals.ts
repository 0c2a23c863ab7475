import { Migration } from '@mikro-orm/migrations';

/**
 * Modes backed by approvals (issue 18): the extension keeps the approval its full recording was granted for and the end
 * of that approval's period; a call recorded in full without one is `full_without_approval`.
 */
export class Migration20261207230000_full_recording_approvals extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "extension" add column "full_recording_approval_id" varchar(128) null, add column "full_recording_approved_until" timestamptz null;`,
    );
    this.addSql(`alter table "recording" drop constraint if exists "recording_compliance_exception_check";`);
    this.addSql(
      `alter table "recording" add constraint "recording_compliance_exception_check" check ("compliance_exception" in ('notice_missing', 'full_without_approval'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "recording" drop constraint if exists "recording_compliance_exception_check";`);
    this.addSql(`alter table "recording" add constraint "recording_compliance_exception_check" check ("compliance_exception" in ('notice_missing'));`);
    this.addSql(`alter table "extension" drop column "full_recording_approval_id", drop column "full_recording_approved_until";`);
  }
}
