/**
 * No SQL Server runs on these machines: the MSSQL driver is configured and its schema generated
 * without a connection, then checked for what matters to a Korean city — Unicode text columns.
 */
import type { MikroORM } from '@mikro-orm/core';
import { initOrm } from '../../infra/db/orm';
import { MIGRATIONS } from '../../infra/db/migrations/mssql';

let orm: MikroORM;
let createSql: string;
beforeAll(async () => {
  orm = await initOrm(
    {
      databaseDriver: 'mssql',
      databaseName: 'recording',
      databaseHost: '127.0.0.1',
      databasePort: 1433,
      databaseUser: 'recording',
      databasePasswordFile: undefined,
      databaseTls: true,
    },
    { connect: false },
  );
  createSql = await orm.schema.getCreateSchemaSQL({ wrap: false });
});
afterAll(async () => orm?.close(true));

test('every text column holds Unicode (nvarchar), none the legacy text/varchar types', () => {
  const columns = [...createSql.matchAll(/\[(\w+)\] ((?:n?var)?char(?:\(\w+\))?|n?text)\b/g)].map(([, name, type]) => ({
    name,
    type,
  }));
  expect(columns.length).toBeGreaterThan(50);
  const nonUnicode = columns.filter((column) => !column.type?.startsWith('n') && column.type !== undefined);
  // uuid primary keys may be plain char; Korean never goes there.
  expect(nonUnicode.filter((column) => !/(^id$|_id$)/.test(column.name ?? ''))).toEqual([]);
  expect(createSql).toMatch(/\[applicant_name\] nvarchar\(100\)/);
  expect(createSql).toMatch(/\[reason\] nvarchar\(max\)/);
});

test('the committed MSSQL migrations build exactly the schema the entities describe today', async () => {
  type MigrationInstance = { up(): Promise<void>; getQueries(): (string | { sql: string })[] };
  const schemaMigrations = MIGRATIONS.filter((migration) => !migration.name.endsWith('_audit_append_only'));
  expect(schemaMigrations.length).toBeGreaterThan(0);
  const migrated: string[] = [];
  for (const { class: MigrationClass } of schemaMigrations) {
    const migration = new (MigrationClass as unknown as new (driver: unknown, config: unknown) => MigrationInstance)(orm.em.getDriver(), orm.config);
    await migration.up();
    migrated.push(...migration.getQueries().map((query) => (typeof query === 'string' ? query : query.sql).trim()));
  }
  // An added column is a hand-written `ALTER TABLE [t] ADD <column>`: fold it into that table's CREATE
  // statement, where the schema generator puts a column declared last (just before the primary key). A column added
  // nullable, filled (`UPDATE`, which changes no schema) and then made required takes its final definition from its
  // `ALTER COLUMN`. A table dropped to be made again (`DROP TABLE [t]`) takes its earlier CREATE and indexes with it. A
  // column's check made wider (its unnamed check dropped by a `DECLARE` batch, then `ADD CONSTRAINT … CHECK`) is
  // written inline, as the generator writes it.
  let statements: string[] = [];
  for (const statement of migrated) {
    if (statement.startsWith('UPDATE ') || statement.startsWith('DECLARE ')) continue;
    const check = /^ALTER TABLE \[(\w+)\] ADD CONSTRAINT \[\w+\] CHECK \(\[(\w+)\] (in \(.+\))\)$/.exec(statement);
    const checked = check ? statements.findIndex((candidate) => candidate.startsWith(`CREATE TABLE [${check[1]}] `)) : -1;
    if (check && checked >= 0) {
      statements[checked] = (statements[checked] as string).replace(
        new RegExp(`check \\(\\[${check[2]}\\] in \\([^)]*\\)\\)`),
        `check ([${check[2]}] ${check[3]})`,
      );
      continue;
    }
    const dropped = /^DROP TABLE \[(\w+)\]$/.exec(statement);
    if (dropped) {
      statements = statements.filter((earlier) => !earlier.startsWith(`CREATE TABLE [${dropped[1]}] `) && !earlier.includes(` ON [${dropped[1]}] (`));
      continue;
    }
    const altered = /^ALTER TABLE \[(\w+)\] ALTER COLUMN \[(\w+)\] (.+)$/.exec(statement);
    const table = altered ? statements.findIndex((candidate) => candidate.startsWith(`CREATE TABLE [${altered[1]}] `)) : -1;
    if (altered && table >= 0) {
      statements[table] = (statements[table] as string).replace(new RegExp(`\\[${altered[2]}\\] [^,]+`), `[${altered[2]}] ${altered[3]}`);
      continue;
    }
    const added = /^ALTER TABLE \[(\w+)\] ADD (.+)$/.exec(statement);
    const index = added ? statements.findIndex((candidate) => candidate.startsWith(`CREATE TABLE [${added[1]}] `)) : -1;
    if (!added || index < 0) {
      statements.push(statement);
      continue;
    }
    statements[index] = (statements[index] as string).replace(`, CONSTRAINT [${added[1]}_pkey]`, `, ${added[2]}, CONSTRAINT [${added[1]}_pkey]`);
  }
  const expected = createSql
    .split(/;\n/)
    .map((statement) => statement.trim())
    .filter(Boolean);
  expect([...statements].sort()).toEqual([...expected].sort());
});

test('the audit log on SQL Server: entries deleted only under a checkpoint, checkpoints append-only and in order (issue 19)', async () => {
  type MigrationInstance = { up(): Promise<void>; getQueries(): (string | { sql: string })[] };
  const guard = MIGRATIONS.find((migration) => migration.name.endsWith('_archived_audit_append_only'));
  const table = MIGRATIONS.findIndex((migration) => migration.name.endsWith('_audit_checkpoint'));
  expect(guard).toBeDefined();
  // The checkpoint table exists before the trigger that reads it.
  expect(table).toBeGreaterThanOrEqual(0);
  expect(table).toBeLessThan(MIGRATIONS.indexOf(guard!));
  const migration = new (guard!.class as unknown as new (driver: unknown, config: unknown) => MigrationInstance)(orm.em.getDriver(), orm.config);
  await migration.up();
  const statements = migration.getQueries().map((query) => (typeof query === 'string' ? query : query.sql).trim());
  // CREATE TRIGGER must open its batch: one statement each, the old trigger dropped first.
  expect(statements[0]).toBe('DROP TRIGGER [audit_event_append_only]');
  for (const statement of statements.slice(1)) expect(statement).toMatch(/^CREATE TRIGGER \[\w+\] ON \[(audit_event|audit_checkpoint)\] (INSTEAD OF|AFTER) /);
  const trigger = (name: string) => statements.find((statement) => statement.startsWith(`CREATE TRIGGER [${name}]`)) ?? '';
  expect(trigger('audit_event_append_only')).toContain('INSTEAD OF UPDATE AS');
  expect(trigger('audit_event_archived_delete')).toMatch(
    /INSTEAD OF DELETE AS .*\[seq\] > COALESCE\(\(SELECT MAX\(\[last_seq\]\) FROM \[audit_checkpoint\]\), 0\)/,
  );
  expect(trigger('audit_checkpoint_append_only')).toContain('INSTEAD OF UPDATE, DELETE AS');
  expect(trigger('audit_checkpoint_continues')).toMatch(
    /AFTER INSERT AS .*\[audit_event\] e WHERE e\.\[seq\] = i\.\[last_seq\] AND e\.\[hash\] = i\.\[last_hash\]/,
  );
  // Balanced BEGIN/END in every trigger body.
  for (const statement of statements.slice(1)) expect(statement.match(/\bBEGIN\b/g)?.length).toBe(statement.match(/\bEND\b/g)?.length);
});
