import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 19: a hold is a decision with a legal basis, a document, an end and a reviewer; the provision package is
 * destroyed like a recording (its key shredded), so the attachment's key may be gone and an attachment may belong to
 * a hold.
 */
export class Migration20261208010000_holds_and_packages extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "recording_hold" add column "release_reason" varchar(500) null, add column "legal_basis" varchar(200) null, add column "basis_document_id" uuid null, add column "ends_at" timestamptz null, add column "reviewer" varchar(128) null, add column "extends_hold_id" uuid null;`,
    );
    this.addSql(`alter table "attachment" drop constraint if exists "attachment_owner_type_check";`);
    this.addSql(
      `alter table "attachment" add constraint "attachment_owner_type_check" check ("owner_type" in ('full_recording_application', 'disclosure_request', 'recording_hold'));`,
    );
    this.addSql(`alter table "attachment" alter column "wrapped_key" drop not null;`);
    this.addSql(
      `alter table "attachment" add column "destroy_at" timestamptz null, add column "destroyed_at" timestamptz null, add column "destruction_reason" varchar(255) null;`,
    );
  }
}
