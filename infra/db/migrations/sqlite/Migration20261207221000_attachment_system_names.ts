import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 22: attachments are stored and downloaded under the system's name, the uploader's kept as `original_name`
 * (text to show). Written by hand: files already attached get the names new ones get — purpose, 관리번호 (or the
 * application's id), their order within the case and purpose, the extension of their checked type. The package and
 * the drawn signature (one file each) already had the system's names.
 */
export class Migration20261207221000_attachment_system_names extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`attachment\` add column \`original_name\` text not null default '';`);
    this.addSql(`update \`attachment\` set \`original_name\` = \`file_name\`;`);
    this.addSql(
      `update \`attachment\` set \`file_name\` = \`named\`.\`name\` from (select \`a\`.\`id\`, (case \`a\`.\`purpose\` when 'evidence' then '증빙자료' when 'ground_document' then '근거서류' when 'signed_handover_receipt' then '인수인계증' when 'destruction_report' then '파기결과회신서' when 'other' then '기타첨부' end) || '_' || coalesce(\`d\`.\`management_number\`, \`a\`.\`owner_id\`) || '_' || row_number() over (partition by \`a\`.\`owner_type\`, \`a\`.\`owner_id\`, \`a\`.\`purpose\` order by \`a\`.\`created_at\`, \`a\`.\`id\`) || (case \`a\`.\`content_type\` when 'application/pdf' then '.pdf' when 'image/jpeg' then '.jpg' when 'image/png' then '.png' end) as \`name\` from \`attachment\` as \`a\` left join \`disclosure_request\` as \`d\` on \`a\`.\`owner_type\` = 'disclosure_request' and \`d\`.\`id\` = \`a\`.\`owner_id\` where \`a\`.\`purpose\` in ('evidence', 'ground_document', 'signed_handover_receipt', 'destruction_report', 'other')) as \`named\` where \`named\`.\`id\` = \`attachment\`.\`id\`;`,
    );
  }
}
