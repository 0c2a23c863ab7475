import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 19: a hold is a decision with a legal basis, a document, an end and a reviewer; the provision package is
 * destroyed like a recording (its key shredded), so the attachment's key may be gone and an attachment may belong to
 * a hold. The owner's check was created without a name, so it is found by its column and dropped first.
 */
export class Migration20261208010000_holds_and_packages extends Migration {
  override async up(): Promise<void> {
    for (const column of [
      '[release_reason] nvarchar(500) null',
      '[legal_basis] nvarchar(200) null',
      '[basis_document_id] uniqueidentifier null',
      '[ends_at] datetime2 null',
      '[reviewer] nvarchar(128) null',
      '[extends_hold_id] uniqueidentifier null',
    ]) {
      this.addSql(`ALTER TABLE [recording_hold] ADD ${column}`);
    }
    this.addSql(
      "DECLARE @check sysname = (SELECT cc.name FROM sys.check_constraints cc JOIN sys.columns c ON c.object_id = cc.parent_object_id AND c.column_id = cc.parent_column_id WHERE cc.parent_object_id = OBJECT_ID('attachment') AND c.name = 'owner_type'); IF @check IS NOT NULL EXEC('ALTER TABLE [attachment] DROP CONSTRAINT [' + @check + ']')",
    );
    this.addSql(
      "ALTER TABLE [attachment] ADD CONSTRAINT [attachment_owner_type_check] CHECK ([owner_type] in ('full_recording_application', 'disclosure_request', 'recording_hold'))",
    );
    this.addSql('ALTER TABLE [attachment] ALTER COLUMN [wrapped_key] nvarchar(max) null');
    for (const column of ['[destroy_at] datetime2 null', '[destroyed_at] datetime2 null', '[destruction_reason] nvarchar(255) null']) {
      this.addSql(`ALTER TABLE [attachment] ADD ${column}`);
    }
  }
}
