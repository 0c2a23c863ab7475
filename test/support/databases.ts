/**
 * The real databases the persistence suites run against: SQLite always, and the PostgreSQL 15 server
 * that `npm test` starts (TEST_POSTGRES_URL). Under `npm test` (REQUIRE_ALL_SUITES) a missing server is
 * a failure, never a silent skip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { initOrm, migrate, type DatabaseSettings } from '../../infra/db/orm';

export interface TestDatabase {
  readonly driver: 'sqlite' | 'postgresql';
  readonly orm: MikroORM;
  /** How to open it again, e.g. from another process. */
  readonly settings: DatabaseSettings;
  /** Drops the database (PostgreSQL) or deletes the file (SQLite). */
  dispose(): Promise<void>;
}

export function availableDrivers(): ('sqlite' | 'postgresql')[] {
  if (process.env.TEST_POSTGRES_URL) return ['sqlite', 'postgresql'];
  if (process.env.REQUIRE_ALL_SUITES || process.env.CI) {
    throw new Error('TEST_POSTGRES_URL is not set: the PostgreSQL suite cannot run (npm test starts the server)');
  }
  return ['sqlite'];
}

function postgresSettings(databaseName: string): DatabaseSettings {
  const url = new URL(process.env.TEST_POSTGRES_URL as string);
  return {
    databaseDriver: 'postgresql',
    databaseName,
    databaseHost: url.hostname,
    databasePort: Number(url.port),
    databaseUser: decodeURIComponent(url.username),
    databasePasswordFile: undefined,
    databaseTls: false,
  };
}

/**
 * Migrates a new database (only up to `migrateTo`, to test a later migration on old rows), closing it if that fails so
 * no connection keeps the test run alive.
 */
async function migrated(orm: MikroORM, migrateTo: string | undefined, onFailure: () => Promise<void> = async () => undefined): Promise<MikroORM> {
  try {
    await (migrateTo ? orm.getMigrator().up({ to: migrateTo }) : migrate(orm));
    return orm;
  } catch (error) {
    await orm.close(true);
    await onFailure();
    throw error;
  }
}

/** A new, empty, migrated database of the given kind. */
export async function createTestDatabase(driver: 'sqlite' | 'postgresql', options: { migrateTo?: string } = {}): Promise<TestDatabase> {
  if (driver === 'sqlite') {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'recording-sqlite-'));
    const settings: DatabaseSettings = {
      databaseDriver: 'sqlite',
      databaseName: path.join(folder, 'test.sqlite'),
      databaseHost: '',
      databasePort: 0,
      databaseUser: '',
      databasePasswordFile: undefined,
      databaseTls: false,
    };
    const orm = await migrated(await initOrm(settings), options.migrateTo);
    return {
      driver,
      orm,
      settings,
      async dispose() {
        await orm.close(true);
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const admin = postgresSettings(new URL(process.env.TEST_POSTGRES_URL as string).pathname.slice(1));
  const name = `t_${randomBytes(6).toString('hex')}`;
  const adminOrm = await initOrm(admin);
  try {
    await adminOrm.em.getConnection().execute(`create database ${name} encoding 'UTF8' template template0`);
  } catch (error) {
    await adminOrm.close(true);
    throw error;
  }
  const settings = postgresSettings(name);
  const orm = await migrated(await initOrm(settings), options.migrateTo, () => adminOrm.close(true));
  return {
    driver,
    orm,
    settings,
    async dispose() {
      await orm.close(true);
      // An autovacuum worker (the server's superuser) on the fresh database cannot be ended by our role: it is gone
      // a moment later, so the drop is tried again rather than failing the suite that used the database.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await adminOrm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
          break;
        } catch (error) {
          if (attempt >= 20 || !String(error).includes('pg_signal_backend')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      await adminOrm.close(true);
    },
  };
}

/** An empty database to restore into: a new SQLite file name, or a new PostgreSQL database with no tables. */
export async function emptyDatabase(driver: 'sqlite' | 'postgresql', dataDir: string): Promise<{ settings: DatabaseSettings; dispose(): Promise<void> }> {
  if (driver === 'sqlite') {
    const settings: DatabaseSettings = {
      databaseDriver: 'sqlite',
      databaseName: path.join(dataDir, 'recording.sqlite'),
      databaseHost: '',
      databasePort: 0,
      databaseUser: '',
      databasePasswordFile: undefined,
      databaseTls: false,
    };
    return { settings, dispose: async () => undefined };
  }
  const url = new URL(process.env.TEST_POSTGRES_URL as string);
  const base: DatabaseSettings = {
    databaseDriver: 'postgresql',
    databaseName: url.pathname.slice(1),
    databaseHost: url.hostname,
    databasePort: Number(url.port),
    databaseUser: decodeURIComponent(url.username),
    databasePasswordFile: undefined,
    databaseTls: false,
  };
  const name = `r_${randomBytes(6).toString('hex')}`;
  const admin = await initOrm(base);
  await admin.em.getConnection().execute(`create database ${name} encoding 'UTF8' template template0`);
  return {
    settings: { ...base, databaseName: name },
    async dispose() {
      await admin.em.getConnection().execute(`drop database if exists ${name} with (force)`);
      await admin.close(true);
    },
  };
}
