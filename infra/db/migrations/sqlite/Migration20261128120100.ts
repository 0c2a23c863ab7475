import { Migration } from '@mikro-orm/migrations';

/** Closed case workflows' histories, archived for replay in audits (issue 9). */
export class Migration20261128120100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`archived_history\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`workflow_id\` text not null, \`run_id\` text not null, \`workflow_type\` text not null, \`case_type\` text not null, \`case_id\` text not null, \`close_status\` text not null, \`closed_at\` datetime not null, \`event_count\` integer not null, \`sha256\` text not null, \`size_bytes\` integer not null, \`wrapped_key\` text not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`archived_history_case_type_case_id_index\` on \`archived_history\` (\`case_type\`, \`case_id\`);`);
    this.addSql(`create index \`archived_history_workflow_type_closed_at_index\` on \`archived_history\` (\`workflow_type\`, \`closed_at\`);`);
    this.addSql(`create unique index \`archived_history_workflow_id_run_id_unique\` on \`archived_history\` (\`workflow_id\`, \`run_id\`);`);
  }
}
