/**
 * Composition root of persistence: `initOrm(settings)` for the app, the same call with overrides
 * for tests. Each dialect has its own migration list (infra/db/migrations/<driver>/index.ts), imported
 * statically so that compiled and ts-jest runs find the same migrations.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Options } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/core';
import { SqliteDriver } from './sqlite-driver';
import { Migrator } from '@mikro-orm/migrations';
import { MsSqlDriver } from '@mikro-orm/mssql';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Settings } from '../settings';
import { ENTITY_SCHEMAS } from './entities';
import { MIGRATIONS as MSSQL_MIGRATIONS } from './migrations/mssql';
import { MIGRATIONS as POSTGRESQL_MIGRATIONS } from './migrations/postgresql';
import { MIGRATIONS as SQLITE_MIGRATIONS } from './migrations/sqlite';

export type DatabaseDriver = Settings['databaseDriver'];
export type DatabaseSettings = Pick<
  Settings,
  'databaseDriver' | 'databaseName' | 'databaseHost' | 'databasePort' | 'databaseUser' | 'databasePasswordFile' | 'databaseTls'
>;

const MIGRATIONS_BY_DRIVER = {
  sqlite: SQLITE_MIGRATIONS,
  postgresql: POSTGRESQL_MIGRATIONS,
  mssql: MSSQL_MIGRATIONS,
} as const;

export function migrationsFolder(driver: DatabaseDriver): string {
  return path.join(__dirname, 'migrations', driver);
}

export function ormOptions(settings: DatabaseSettings, overrides: Partial<Options> = {}): Options {
  const common: Partial<Options> = {
    entities: ENTITY_SCHEMAS,
    dbName: settings.databaseName,
    extensions: [Migrator],
    // Entities are declared with EntitySchema, so no decorator metadata is read.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    migrations: {
      migrationsList: [...MIGRATIONS_BY_DRIVER[settings.databaseDriver]],
      transactional: true,
      allOrNothing: true,
      // migrate() returns the names it applied; the caller logs them in the structured log.
      silent: true,
      snapshot: false,
      emit: 'ts',
      path: migrationsFolder(settings.databaseDriver),
    },
    debug: false,
  };
  switch (settings.databaseDriver) {
    case 'sqlite':
      if (settings.databaseName !== ':memory:') mkdirSync(path.dirname(settings.databaseName), { recursive: true });
      return { ...common, driver: SqliteDriver, ...overrides };
    case 'postgresql':
    case 'mssql':
      return {
        ...common,
        driver: settings.databaseDriver === 'postgresql' ? PostgreSqlDriver : MsSqlDriver,
        host: settings.databaseHost,
        port: settings.databasePort,
        user: settings.databaseUser || undefined,
        password: settings.databasePasswordFile ? readFileSync(settings.databasePasswordFile, 'utf8').trim() : undefined,
        driverOptions: settings.databaseTls
          ? settings.databaseDriver === 'postgresql'
            ? { connection: { ssl: { rejectUnauthorized: true } } }
            : { options: { encrypt: true, trustServerCertificate: false } }
          : undefined,
        ...overrides,
      };
  }
}

export async function initOrm(settings: DatabaseSettings, overrides: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(settings, overrides));
  if (settings.databaseDriver === 'sqlite' && settings.databaseName !== ':memory:') {
    // Several processes (API and worker, capture appliance) share the file: with the write-ahead log readers never
    // wait for a writer nor make it wait. The mode is kept in the file; setting it again is a no-op.
    await orm.em.getConnection().execute('pragma journal_mode = wal');
  }
  return orm;
}

/** Brings the schema up to date; returns the names of the migrations that ran. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const executed = await orm.getMigrator().up();
  return executed.map((migration) => migration.name);
}
