/**
 * The embedded Temporal: the Temporal CLI's dev server, installed by infra/scripts/install-temporal-cli.sh
 * into tools/bin, keeping its state in a SQLite file under DATA_DIR so that cases survive a restart.
 * Bound to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
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

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executable = options.executable ?? TEMPORAL_CLI;
  if (!existsSync(executable)) {
    throw new Error(`Temporal CLI not found at ${executable}: run infra/scripts/install-temporal-cli.sh (npm start does)`);
  }
  if (await portAnswers(options.port)) {
    throw new Error(`port ${options.port} is already in use: another Temporal server? (TEMPORAL_DEV_PORT)`);
  }
  const folder = path.join(options.dataDir, 'temporal');
  mkdirSync(folder, { recursive: true });
  const log = createWriteStream(path.join(folder, 'server.log'), { flags: 'a' });
  const child: ChildProcess = spawn(
    executable,
    [
      'server', 'start-dev',
      '--db-filename', path.join(folder, 'temporal.sqlite'),
      '--ip', '127.0.0.1',
      '--port', String(options.port),
      '--ui-port', String(options.uiPort),
      '--namespace', options.namespace,
      '--log-format', 'json',
      '--log-level', 'warn',
      '--color', 'never',
    ],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop it after the worker has drained.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
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
        log.end();
      })();
      return stopping;
    },
  };
}
