import { Migration } from '@mikro-orm/migrations';

/** A party official's own request (filed logged in): whose it is, for their list of requests. */
export class Migration20261128120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE [disclosure_request] ADD [applicant_username] nvarchar(128) null');
  }
}
