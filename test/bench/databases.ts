/**
 * The databases a benchmark runs against: a fresh SQLite file, or a throw-away PostgreSQL 15 of its own
 * (infra/scripts/postgres-test.sh), migrated. Servers still running when the benchmark is interrupted are stopped.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { MikroORM } from '@mikro-orm/core';
import { initOrm, migrate, type DatabaseSettings } from '../../infra/db/orm';
import { freePort } from '../support/ports';

export type Driver = 'sqlite' | 'postgresql';

export interface BenchDatabase {
  orm: MikroORM;
  describe: string;
  /** PostgreSQL: where to open a side connection for sampling pg_stat_activity. */
  postgres?: { host: string; port: number; user: string; database: string };
  dispose(): Promise<void>;
}

const projectRoot = [path.resolve(__dirname, '..', '..', '..'), path.resolve(__dirname, '..', '..'), process.cwd()].find((folder) =>
  existsSync(path.join(folder, 'infra', 'scripts', 'postgres-test.sh')),
) as string;

/** @param pgPoolMax what-if size of the ORM's PostgreSQL pool (default: what initOrm gives, knex's 2–10) */
export async function openDatabase(driver: Driver, pgPoolMax?: number): Promise<BenchDatabase> {
  if (driver === 'sqlite') {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'bench-sqlite-'));
    const file = path.join(folder, 'bench.sqlite');
    const orm = await initOrm({
      databaseDriver: 'sqlite',
      databaseName: file,
      databaseHost: '',
      databasePort: 0,
      databaseUser: '',
      databasePasswordFile: undefined,
      databaseTls: false,
    });
    await migrate(orm);
    return {
      orm,
      describe: `SQLite file ${file}`,
      async dispose() {
        await orm.close(true);
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const folder = path.join(os.tmpdir(), `bench-pg-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const script = path.join(projectRoot, 'infra', 'scripts', 'postgres-test.sh');
  execFileSync('bash', [script, 'start', folder, String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => execFileSync('bash', [script, 'stop', folder], { stdio: ['ignore', 'inherit', 'inherit'] });
  stopOnExit.add(stop);
  const settings: DatabaseSettings = {
    databaseDriver: 'postgresql',
    databaseName: 'recording_test',
    databaseHost: '127.0.0.1',
    databasePort: port,
    databaseUser: 'recording',
    databasePasswordFile: undefined,
    databaseTls: false,
  };
  let orm: MikroORM | undefined;
  try {
    orm = await initOrm(settings, pgPoolMax ? { pool: { min: 2, max: pgPoolMax } } : {});
    await migrate(orm);
  } catch (error) {
    await orm?.close(true);
    stop();
    stopOnExit.delete(stop);
    throw error;
  }
  const version = ((await orm.em.getConnection().execute('show server_version')) as { server_version: string }[])[0]?.server_version;
  const opened = orm;
  return {
    orm: opened,
    postgres: { host: '127.0.0.1', port, user: 'recording', database: 'recording_test' },
    describe: `PostgreSQL ${version} on 127.0.0.1:${port} (postgres-test.sh: fsync=off, max_connections=50; ORM pool: ${pgPoolMax ? `max ${pgPoolMax} (what-if, not the product default)` : 'as initOrm leaves it (knex default, 2–10)'})`,
    async dispose() {
      await opened.close(true);
      stop();
      stopOnExit.delete(stop);
    },
  };
}

const stopOnExit = new Set<() => void>();

/** Stops every server a benchmark started and has not disposed of (on failure or interruption). */
export function stopServersLeft(): void {
  for (const stop of stopOnExit) {
    try {
      stop();
    } catch {
      // the server may be gone already
    }
  }
  stopOnExit.clear();
}

for (const signal of isMainThread ? (['SIGINT', 'SIGTERM'] as const) : []) {
  process.on(signal, () => {
    stopServersLeft();
    process.exit(130);
  });
}
