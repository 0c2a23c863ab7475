import { Migration } from '@mikro-orm/migrations';

/** R3 compliance exception on a recording. (The differ's table rebuilds of unchanged foreign keys were removed by hand.) */
export class Migration20261128014655 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`recording\` add column \`compliance_exception\` text check (\`compliance_exception\` in ('notice_missing')) null;`);
  }
}
