import { Migration } from '@mikro-orm/migrations';

/** Written by hand: the differ, with no SQL Server to compare with, also proposed creating the recording table again. */
export class Migration20261128064553 extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE INDEX [recording_compliance_exception_started_at_index] ON [recording] ([compliance_exception], [started_at])');
  }
}
