import { Migration } from '@mikro-orm/migrations';

/** Closed case workflows' histories, archived for replay in audits (issue 9). */
export class Migration20261128120100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "archived_history" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "workflow_id" varchar(200) not null, "run_id" varchar(64) not null, "workflow_type" varchar(100) not null, "case_type" varchar(64) not null, "case_id" varchar(128) not null, "close_status" varchar(32) not null, "closed_at" timestamptz not null, "event_count" int not null, "sha256" varchar(64) not null, "size_bytes" int not null, "wrapped_key" text not null, constraint "archived_history_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "archived_history_case_type_case_id_index" on "archived_history" ("case_type", "case_id");`);
    this.addSql(`create index "archived_history_workflow_type_closed_at_index" on "archived_history" ("workflow_type", "closed_at");`);
    this.addSql(`alter table "archived_history" add constraint "archived_history_workflow_id_run_id_unique" unique ("workflow_id", "run_id");`);
  }
}
