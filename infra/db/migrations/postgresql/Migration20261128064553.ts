import { Migration } from '@mikro-orm/migrations';

/** The dashboard's compliance exceptions by recency. */
export class Migration20261128064553 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "recording_compliance_exception_started_at_index" on "recording" ("compliance_exception", "started_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "recording_compliance_exception_started_at_index";`);
  }
}
