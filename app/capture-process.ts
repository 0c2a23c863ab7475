/**
 * The capture appliance as a child process of `npm start` (app/capture-main.ts): a process of its own, as Art. 4 puts
 * it in the telecom room, sharing the system's settings through the environment and its log stream through
 * stdout/stderr. It is ready when its control API answers a health request with the token.
 *
 * Supervised: if it dies (a crash, kill -9), it is started again at once and its start-up recovery finalises and
 * registers the calls it was recording; the rest of the system stays up. Only when it keeps dying (five times in
 * five minutes) is that reported as a failure of the system. It stops itself if this process dies without
 * stopping it, so no orphan keeps the RTSP port and the recording store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CaptureControlClient } from '../capture/control-client';
import type { Logger } from '../infra/logger';
import { portAnswers } from '../infra/net';

export interface CaptureProcess {
  /** The pid of the appliance running now. */
  readonly pid: number | undefined;
  /** How often it has been started again after dying. */
  readonly restarts: number;
  /** Resolves if it keeps dying and is given up. */
  readonly gaveUp: Promise<Error>;
  /** SIGTERM, then SIGKILL after 30 s: open recordings are finished and registered first. Idempotent. */
  stop(): Promise<void>;
}

const ENTRY = path.join(__dirname, 'capture-main.js');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 5 * 60_000;

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  alive: boolean;
}

export async function startCaptureProcess(options: { controlPort: number; client: CaptureControlClient; logger: Logger }): Promise<CaptureProcess> {
  const { logger, client } = options;

  const launch = async (): Promise<Child> => {
    // An appliance left by a killed run stops itself within a second or two, finishing its calls: wait for it.
    for (const waitUntil = Date.now() + STOP_TIMEOUT_MS + 5000; await portAnswers(options.controlPort);) {
      if (Date.now() > waitUntil) throw new Error(`port ${options.controlPort} is held by another program (CAPTURE_CONTROL_PORT)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const spawned = spawn(process.execPath, [ENTRY], {
      env: { ...process.env, CAPTURE_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const child: Child = {
      process: spawned,
      alive: true,
      exited: new Promise((resolve) =>
        spawned.once('exit', (code) => {
          child.alive = false;
          resolve(code);
        }),
      ),
    };
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (!child.alive) throw new Error(`the capture appliance exited during start-up (code ${await child.exited}); see its log lines above`);
      try {
        await client.health();
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          child.process.kill('SIGKILL');
          throw new Error(`the capture appliance did not answer within ${START_TIMEOUT_MS / 1000} s: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    logger.info('capture appliance started', { pid: child.process.pid, controlPort: options.controlPort });
    return child;
  };

  let current = await launch();
  let stopping: Promise<void> | undefined;
  let restarts = 0;
  const recentDeaths: number[] = [];
  let giveUp: (error: Error) => void = () => undefined;
  const gaveUp = new Promise<Error>((resolve) => (giveUp = resolve));

  const supervise = (child: Child) => {
    void child.exited.then(async (code) => {
      if (stopping) return;
      const now = Date.now();
      recentDeaths.push(now);
      while (recentDeaths.length > 0 && (recentDeaths[0] as number) < now - RESTART_WINDOW_MS) recentDeaths.shift();
      if (recentDeaths.length >= MAX_RESTARTS) {
        giveUp(new Error(`capture appliance died ${recentDeaths.length} times in ${RESTART_WINDOW_MS / 60_000} minutes (last code ${code})`));
        return;
      }
      logger.error('capture appliance died; starting it again', { code, pid: child.process.pid });
      try {
        current = await launch();
        restarts++;
        supervise(current);
      } catch (error) {
        giveUp(error instanceof Error ? error : new Error(String(error)));
      }
    });
  };
  supervise(current);

  return {
    get pid() {
      return current.process.pid;
    },
    get restarts() {
      return restarts;
    },
    gaveUp,
    stop() {
      stopping ??= (async () => {
        if (!current.alive) return;
        current.process.kill('SIGTERM');
        const timer = setTimeout(() => current.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await current.exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
