import { Migration } from '@mikro-orm/migrations';

/** 관리번호 counter; disclosure requests' release and end; notifications' attached documents. */
export class Migration20261128083812 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`management_number_counter\` (\`year\` integer not null, \`last_sequence\` integer not null, primary key (\`year\`));`);
    this.addSql(`alter table \`disclosure_request\` add column \`released_at\` datetime null;`);
    this.addSql(`alter table \`disclosure_request\` add column \`package_sha256\` text null;`);
    this.addSql(`alter table \`disclosure_request\` add column \`ended_at\` datetime null;`);
    this.addSql(`alter table \`disclosure_request\` add column \`end_reason\` text null;`);
    this.addSql(`alter table \`notification\` add column \`attachment_document_ids\` json null;`);
  }
}
