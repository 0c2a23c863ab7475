import { Migration } from '@mikro-orm/migrations';

/** Written by hand: the differ has no SQL Server to compare with, so an added column is an ALTER. */
export class Migration20261128014703 extends Migration {
  override async up(): Promise<void> {
    this.addSql("ALTER TABLE [recording] ADD [compliance_exception] nvarchar(100) check ([compliance_exception] in ('notice_missing')) null");
  }
}
