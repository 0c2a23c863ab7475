/**
 * The Temporal SDK's process-wide Runtime, installed once before the worker connects: its log lines go into the
 * system's JSON log (with the workflow id, the activity and the case they belong to), and, when WORKER_METRICS_PORT
 * is set, its own Prometheus exporter (workflow and activity task latencies, polls, slots) listens on 127.0.0.1.
 * The exporter has no authentication, which is why it is bound to loopback and read through the API's /metrics.
 */
import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

export interface WorkerRuntimeOptions {
  logger: Logger;
  /** 127.0.0.1:<port> for the SDK's exporter; absent: no worker metrics. */
  metricsPort?: number;
}

/** Case workflows are named after their row (workflows/disclosure.ts, workflows/full-recording.ts). */
const CASE_WORKFLOW = /^(disclosure|full-recording)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const CASE_TYPES: Record<string, string> = { disclosure: 'disclosure_request', 'full-recording': 'full_recording_application' };

/**
 * The SDK's log attributes as our fields. `taskToken` is left out: it lets its holder complete the activity through
 * the client, which is no thing to write into a log that operators copy around.
 */
export function sdkLogFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) if (key !== 'taskToken') fields[key] = value;
  const match = typeof fields.workflowId === 'string' ? CASE_WORKFLOW.exec(fields.workflowId) : null;
  if (match) {
    fields.caseType = CASE_TYPES[match[1] as string];
    fields.caseId = match[2];
  }
  return fields;
}

/** Forwards the SDK's logger calls (core, worker, workflow `log`, activity `log`) to ours. */
export function sdkLogger(logger: Logger): SdkLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields = sdkLogFields(meta);
    switch (level) {
      case 'TRACE':
      case 'DEBUG':
        return logger.debug(message, fields);
      case 'INFO':
        return logger.info(message, fields);
      case 'WARN':
        return logger.warn(message, fields);
      default:
        return logger.error(message, fields);
    }
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * Installs the Runtime; must run before the first NativeConnection or Worker of the process. Returns the URL the API
 * reads the worker's metrics from, if they are exported.
 */
export function installWorkerRuntime(options: WorkerRuntimeOptions): { metricsUrl?: string } {
  const bindAddress = options.metricsPort ? `127.0.0.1:${options.metricsPort}` : undefined;
  Runtime.install({
    logger: sdkLogger(options.logger.child({ component: 'temporal-sdk' })),
    telemetryOptions: {
      // Core's own warnings (lost connections, poll failures) into the same JSON log rather than its plain stderr text.
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      // Seconds and unit suffixes: `temporal_workflow_task_schedule_to_start_latency_seconds`, as Prometheus names go.
      ...(bindAddress ? { metrics: { prometheus: { bindAddress, useSecondsForDurations: true, unitSuffix: true, countersTotalSuffix: true } } } : {}),
    },
  });
  return bindAddress ? { metricsUrl: `http://${bindAddress}/metrics` } : {};
}
