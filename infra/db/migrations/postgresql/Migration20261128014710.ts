import { Migration } from '@mikro-orm/migrations';

export class Migration20261128014710 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "recording" add column "compliance_exception" text check ("compliance_exception" in ('notice_missing')) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "recording" drop column "compliance_exception";`);
  }
}
