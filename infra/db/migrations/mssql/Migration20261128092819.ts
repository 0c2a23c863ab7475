import { Migration } from '@mikro-orm/migrations';

/** The applicant's time window for the call, for matching (Art. 9 intake). */
export class Migration20261128092819 extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE [disclosure_request] ADD [recording_from] datetime2 null');
    this.addSql('ALTER TABLE [disclosure_request] ADD [recording_to] datetime2 null');
  }
}
