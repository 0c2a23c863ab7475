import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000756 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'CREATE TABLE [login_throttle] ([username] nvarchar(128) not null, [failures] int not null CONSTRAINT [login_throttle_failures_default] DEFAULT 0, [last_failure_at] datetime2 null, [locked_until] datetime2 null, CONSTRAINT [login_throttle_pkey] PRIMARY KEY ([username]))',
    );
    this.addSql('CREATE INDEX [recording_extension_id_started_at_index] ON [recording] ([extension_id], [started_at])');
    this.addSql(
      "CREATE TABLE [user_session] ([token_hash] nvarchar(64) not null, [username] nvarchar(128) not null, [display_name] nvarchar(100) not null, [roles] nvarchar(255) not null, [department_path] nvarchar(max) not null, [extension] nvarchar(32) null, [csrf_token] nvarchar(64) not null, [source_address] nvarchar(64) not null, [created_at] datetime2 not null, [last_seen_at] datetime2 not null, [expires_at] datetime2 not null, [ended_at] datetime2 null, [end_reason] nvarchar(100) check ([end_reason] in ('logout', 'idle', 'absolute', 'superseded')) null, CONSTRAINT [user_session_pkey] PRIMARY KEY ([token_hash]))",
    );
    this.addSql('CREATE INDEX [user_session_username_index] ON [user_session] ([username])');
  }
}
