import { Migration } from '@mikro-orm/migrations';

/**
 * Modes backed by approvals (issue 18): the extension keeps the approval its full recording was granted for and the end
 * of that approval's period; a call recorded in full without one is `full_without_approval`. The column's check was
 * created without a name, so it is found by its column and dropped before the wider one is added.
 */
export class Migration20261207230000_full_recording_approvals extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE [extension] ADD [full_recording_approval_id] nvarchar(128) null');
    this.addSql('ALTER TABLE [extension] ADD [full_recording_approved_until] datetime2 null');
    this.addSql(
      "DECLARE @check sysname = (SELECT cc.name FROM sys.check_constraints cc JOIN sys.columns c ON c.object_id = cc.parent_object_id AND c.column_id = cc.parent_column_id WHERE cc.parent_object_id = OBJECT_ID('recording') AND c.name = 'compliance_exception'); IF @check IS NOT NULL EXEC('ALTER TABLE [recording] DROP CONSTRAINT [' + @check + ']')",
    );
    this.addSql(
      "ALTER TABLE [recording] ADD CONSTRAINT [recording_compliance_exception_check] CHECK ([compliance_exception] in ('notice_missing', 'full_without_approval'))",
    );
  }
}
