import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 19: a hold is a decision with a legal basis, a document, an end and a reviewer; the provision package is
 * destroyed like a recording (its key shredded), so the attachment's key may be gone and an attachment may belong to
 * a hold. SQLite cannot change a column's check or nullability, so those columns are made again, values copied.
 */
export class Migration20261208010000_holds_and_packages extends Migration {
  override async up(): Promise<void> {
    for (const column of [
      '`release_reason` text null',
      '`legal_basis` text null',
      '`basis_document_id` text null',
      '`ends_at` datetime null',
      '`reviewer` text null',
      '`extends_hold_id` text null',
    ]) {
      this.addSql(`alter table \`recording_hold\` add column ${column};`);
    }
    this.addSql(`drop index \`attachment_owner_type_owner_id_index\`;`);
    this.addSql(
      `alter table \`attachment\` add column \`owner_type_next\` text check (\`owner_type_next\` in ('full_recording_application', 'disclosure_request', 'recording_hold')) not null default 'disclosure_request';`,
    );
    this.addSql(`update \`attachment\` set \`owner_type_next\` = \`owner_type\`;`);
    this.addSql(`alter table \`attachment\` drop column \`owner_type\`;`);
    this.addSql(`alter table \`attachment\` rename column \`owner_type_next\` to \`owner_type\`;`);
    this.addSql(`create index \`attachment_owner_type_owner_id_index\` on \`attachment\` (\`owner_type\`, \`owner_id\`);`);
    this.addSql(`alter table \`attachment\` add column \`wrapped_key_next\` text null;`);
    this.addSql(`update \`attachment\` set \`wrapped_key_next\` = \`wrapped_key\`;`);
    this.addSql(`alter table \`attachment\` drop column \`wrapped_key\`;`);
    this.addSql(`alter table \`attachment\` rename column \`wrapped_key_next\` to \`wrapped_key\`;`);
    for (const column of ['`destroy_at` datetime null', '`destroyed_at` datetime null', '`destruction_reason` text null']) {
      this.addSql(`alter table \`attachment\` add column ${column};`);
    }
  }
}
