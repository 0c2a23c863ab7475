/**
 * `npm start` ends here: the whole system on the settings from the environment.
 *   node dist/app/main.js [--components api,worker]
 * Ctrl-C (SIGINT) or SIGTERM stops every process it started.
 */
import { createLogger } from '../infra/logger';
import { loadSettingsOrExit } from '../infra/settings';
import { COMPONENTS, startSystem, type Component } from './system';
import { installWorkerRuntime } from '../infra/temporal/runtime';

function parseComponents(argv: string[]): Component[] {
  const index = argv.indexOf('--components');
  if (index === -1) return [...COMPONENTS];
  const requested = (argv[index + 1] ?? '').split(',').filter(Boolean);
  const unknown = requested.filter((name) => !(COMPONENTS as readonly string[]).includes(name));
  if (requested.length === 0 || unknown.length > 0) {
    throw new Error(`--components takes a comma-separated list of ${COMPONENTS.join(', ')}`);
  }
  return requested as Component[];
}

async function main(): Promise<void> {
  const settings = loadSettingsOrExit();
  const logger = createLogger({ service: 'recording' }, settings.logLevel);
  const components = parseComponents(process.argv.slice(2));
  // The Temporal SDK logs through our JSON logger (workflow and case ids as fields), so one log stream tells the whole
  // story; only a process running the worker exports its metrics, so an API beside it on this host can read them.
  installWorkerRuntime({ logger, metricsPort: components.includes('worker') ? settings.workerMetricsPort : undefined });
  const system = await startSystem(settings, logger, components);
  process.stdout.write(
    `\n행정전화 녹취시스템이 시작되었습니다.\n` +
      (system.apiUrl ? `  화면·API:        ${system.apiUrl}/  (상태: ${system.apiUrl}/health)\n` : '') +
      (system.temporalUiUrl ? `  Temporal 웹 화면: ${system.temporalUiUrl}\n` : '') +
      `  멈추려면 Ctrl-C\n\n`,
  );
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { reason });
    await system.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  const failure = await system.failed;
  if (!stopping) {
    logger.error('a component stopped unexpectedly; stopping the system', { error: failure });
    await shutdown('component failure', 1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`시작하지 못했습니다: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
