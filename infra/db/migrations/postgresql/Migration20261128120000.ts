import { Migration } from '@mikro-orm/migrations';

/** A party official's own request (filed logged in): whose it is, for their list of requests. */
export class Migration20261128120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "disclosure_request" add column "applicant_username" varchar(128) null;`);
  }
}
