/**
 * The embedded Temporal: the Temporal CLI's dev server, installed by infra/scripts/install-temporal-cli.sh
 * into tools/bin, keeping its state in a SQLite file under DATA_DIR so that cases survive a restart.
 * Bound to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { portAnswers } from '../net';
import { TOOLS_DIR } from '../paths';

export const TEMPORAL_CLI = path.join(TOOLS_DIR, 'bin', 'temporal');

export interface DevServerOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  logger: Logger;
  executable?: string;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string;
  /** Resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A dev server left running by a previous run that was killed (kill -9, power loss of the terminal) holds
 * the port and the database. It is recognised by its pid file and its command line naming our database,
 * and stopped before a new one starts, so a restart resumes instead of failing.
 */
async function stopLeftover(pidFile: string, database: string, logger: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const ours =
    Number.isInteger(pid) && pid > 1 && isAlive(pid) && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(database);
  if (ours) {
    logger.warn('stopping the Temporal dev server a killed run left behind', { pid });
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; isAlive(pid) && waited < 15_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executable = options.executable ?? TEMPORAL_CLI;
  if (!existsSync(executable)) {
    throw new Error(`Temporal CLI not found at ${executable}: run infra/scripts/install-temporal-cli.sh (npm start does)`);
  }
  const folder = path.join(options.dataDir, 'temporal');
  mkdirSync(folder, { recursive: true });
  const database = path.join(folder, 'temporal.sqlite');
  const pidFile = path.join(folder, 'server.pid');
  await stopLeftover(pidFile, database, options.logger);
  if (await portAnswers(options.port)) {
    throw new Error(`port ${options.port} is already in use: another Temporal server? (TEMPORAL_DEV_PORT)`);
  }
  // The log file itself is the server's stdout and stderr, so it never depends on this process to drain a pipe.
  const log = openSync(path.join(folder, 'server.log'), 'a');
  const child: ChildProcess = spawn(
    executable,
    [
      'server',
      'start-dev',
      '--db-filename',
      database,
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--namespace',
      options.namespace,
      '--log-format',
      'json',
      '--log-level',
      'warn',
      '--color',
      'never',
    ],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop it after the worker has drained.
    { stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let alive = true;
  void exited.then(() => (alive = false));
  while (!(await portAnswers(options.port))) {
    if (!alive) throw new Error(`Temporal dev server exited during start-up; see ${path.join(folder, 'server.log')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('Temporal dev server did not listen within 60 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  options.logger.info('temporal dev server listening', { port: options.port, uiPort: options.uiPort, pid: child.pid });
  let stopping: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    exited,
    stop() {
      stopping ??= (async () => {
        if (alive) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(pidFile, { force: true });
      })();
      return stopping;
    },
  };
}
