import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 22: attachments are stored and downloaded under the system's name, the uploader's kept as `original_name`
 * (text to show). Written by hand (no SQL Server to diff against): the column is added, filled, then made required;
 * files already attached get the names new ones get — purpose, 관리번호 (or the application's id), their order within
 * the case and purpose, the extension of their checked type. The package and the drawn signature (one file each)
 * already had the system's names.
 */
export class Migration20261207221000_attachment_system_names extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE [attachment] ADD [original_name] nvarchar(255) null');
    this.addSql('UPDATE [attachment] SET [original_name] = [file_name]');
    this.addSql(
      "UPDATE [attachment] SET [file_name] = [named].[name] FROM [attachment] JOIN (SELECT [a].[id], CONCAT(CASE [a].[purpose] WHEN N'evidence' THEN N'증빙자료' WHEN N'ground_document' THEN N'근거서류' WHEN N'signed_handover_receipt' THEN N'인수인계증' WHEN N'destruction_report' THEN N'파기결과회신서' WHEN N'other' THEN N'기타첨부' END, N'_', COALESCE([d].[management_number], [a].[owner_id]), N'_', ROW_NUMBER() OVER (PARTITION BY [a].[owner_type], [a].[owner_id], [a].[purpose] ORDER BY [a].[created_at], [a].[id]), CASE [a].[content_type] WHEN N'application/pdf' THEN N'.pdf' WHEN N'image/jpeg' THEN N'.jpg' WHEN N'image/png' THEN N'.png' END) AS [name] FROM [attachment] AS [a] LEFT JOIN [disclosure_request] AS [d] ON [a].[owner_type] = N'disclosure_request' AND [d].[id] = TRY_CONVERT(uniqueidentifier, [a].[owner_id]) WHERE [a].[purpose] IN (N'evidence', N'ground_document', N'signed_handover_receipt', N'destruction_report', N'other')) AS [named] ON [named].[id] = [attachment].[id]",
    );
    this.addSql('ALTER TABLE [attachment] ALTER COLUMN [original_name] nvarchar(255) not null');
  }
}
