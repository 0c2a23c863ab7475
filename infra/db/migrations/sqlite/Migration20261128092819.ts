import { Migration } from '@mikro-orm/migrations';

/** The applicant's time window for the call, for matching (Art. 9 intake). */
export class Migration20261128092819 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`disclosure_request\` add column \`recording_from\` datetime null;`);
    this.addSql(`alter table \`disclosure_request\` add column \`recording_to\` datetime null;`);
  }
}
