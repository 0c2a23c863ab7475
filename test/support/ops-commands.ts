/**
 * The compiled operator commands (dist/ops/cli, built by `npm test` before jest), run as an operator runs them: a
 * child process reading a system's settings from its environment.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DatabaseSettings } from '../../infra/db/orm';

const DIST = path.join(__dirname, '..', '..', 'dist');
const run = promisify(execFile);

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `dist/ops/cli/<name>.js` with `args`; its exit code and output, whatever the code. */
export async function opsCommand(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return run(process.execPath, [path.join(DIST, 'ops', 'cli', `${name}.js`), ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** The environment of a system with its data in `dataDir` and its database at `settings`; every key file under `<dataDir>/keys`. */
export function systemEnv(dataDir: string, settings: DatabaseSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    DB_DRIVER: settings.databaseDriver,
    DB_NAME: settings.databaseName,
    DB_HOST: settings.databaseHost || '127.0.0.1',
    DB_PORT: String(settings.databasePort),
    DB_USER: settings.databaseUser,
  };
  for (const variable of [
    'MASTER_KEY_FILE',
    'PACKAGE_SIGNING_KEY_FILE',
    'CAPTURE_CONTROL_API_TOKEN_FILE',
    'CAPTURE_CONTROL_WORKER_TOKEN_FILE',
    'CAPTURE_CONTROL_PBX_TOKEN_FILE',
    'GRANT_SIGNING_KEY_FILE',
    'GRANT_PUBLIC_KEY_FILE',
    'CAPTURE_DEVICES_FILE',
  ])
    delete env[variable];
  return env;
}
