import { Migration } from '@mikro-orm/migrations';

/** Sessions, login lock-out and the recording-search index. (The differ's table rebuilds of unchanged foreign keys were removed by hand.) */
export class Migration20261128000749 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`login_throttle\` (\`username\` text not null, \`failures\` integer not null default 0, \`last_failure_at\` datetime null, \`locked_until\` datetime null, primary key (\`username\`));`,
    );
    this.addSql(
      `create table \`user_session\` (\`token_hash\` text not null, \`username\` text not null, \`display_name\` text not null, \`roles\` text not null, \`department_path\` text not null, \`extension\` text null, \`csrf_token\` text not null, \`source_address\` text not null, \`created_at\` datetime not null, \`last_seen_at\` datetime not null, \`expires_at\` datetime not null, \`ended_at\` datetime null, \`end_reason\` text check (\`end_reason\` in ('logout', 'idle', 'absolute', 'superseded')) null, primary key (\`token_hash\`));`,
    );
    this.addSql(`create index \`user_session_username_index\` on \`user_session\` (\`username\`);`);
    this.addSql(`create index \`recording_extension_id_started_at_index\` on \`recording\` (\`extension_id\`, \`started_at\`);`);
  }
}
