import { Migration } from '@mikro-orm/migrations';

/**
 * The generated-document table. (MikroORM 6's SQLite differ also proposed rebuilding every table with a
 * foreign key, a known false difference of its SQLite introspection; those statements were removed.)
 */
export class Migration20261127232441 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`generated_document\` (\`id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`idempotency_key\` text not null, \`kind\` text not null, \`case_type\` text not null, \`case_id\` text not null, \`purpose\` text not null, \`template_source\` text check (\`template_source\` in ('built-in', 'city')) not null, \`sha256\` text not null, \`size_bytes\` integer not null, \`created_by\` text not null, \`wrapped_key\` text not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`generated_document_idempotency_key_unique\` on \`generated_document\` (\`idempotency_key\`);`);
    this.addSql(`create index \`generated_document_case_type_case_id_index\` on \`generated_document\` (\`case_type\`, \`case_id\`);`);
  }
}
