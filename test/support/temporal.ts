import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { QueryDefinition } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../../activities';
import { encodeHistoryFile, fetchClosedHistory, historyFacts } from '../../infra/temporal/history';
import { WORKFLOWS_PATH } from '../../infra/temporal/workflows-path';
import { eventually } from './eventually';

/** The wrapper that execs the Java time-skipping server installed by infra/scripts/install-test-server.sh. */
export const TEST_SERVER_EXECUTABLE = path.resolve(__dirname, '..', '..', 'infra', 'scripts', 'temporal-test-server');

let runtimeInstalled = false;

/** The SDK's worker lifecycle logs are noise in test output; warnings and errors still show. Once per process. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

export function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER_EXECUTABLE } },
  });
}

// The bundler's progress lines are noise in test output; its warnings and errors still show.
const quietBundler = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

/** The workflows/ bundle, built once per suite and shared by its workers. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler });
}

/** A worker with every workflow and real activities over `deps`, running while `body` runs, shut down after. */
export async function runWithWorker(
  connection: NativeConnection,
  options: {
    taskQueue: string;
    workflowBundle: WorkflowBundleWithSourceMap;
    deps: ActivityDeps;
    namespace?: string;
    /**
     * Keep no workflow in the worker's cache: every task replays the history, as a worker started after a crash
     * does, and no task waits on the sticky queue of a worker that has gone (the time-skipping server may hold a
     * query there until it times out).
     */
    replayEveryTask?: boolean;
  },
  body: () => Promise<void>,
): Promise<void> {
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createActivities(options.deps),
    ...(options.replayEveryTask ? { maxCachedWorkflows: 0 } : {}),
  });
  await worker.runUntil(body);
}

/** Polls a workflow's query until its answer satisfies `check` (signals and activities run asynchronously). */
export async function queryWhen<T>(
  handle: { query(query: QueryDefinition<T>): Promise<T> },
  query: QueryDefinition<T>,
  check: (answer: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  let last: T | undefined;
  const matched = await eventually(
    async () => {
      last = await handle.query(query);
      return check(last) && { answer: last };
    },
    { within: timeoutMs, what: `${query.name} matching` },
  ).catch((error: Error) => {
    throw new Error(`${query.name} never matched: ${JSON.stringify(last)}`, { cause: error });
  });
  return matched.answer;
}

/**
 * With RECORD_HISTORIES=<folder> a suite keeps the histories of the workflows it ran (and of their children) as JSON
 * in that folder: how test/histories is made, whose files CI replays against every later change of the workflow code.
 * Without it, tracking costs nothing.
 */
export function historyRecorder(suite: string) {
  const folder = process.env.RECORD_HISTORIES;
  const tracked: { workflowId: string; test: string }[] = [];
  const slug = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60);
  return {
    track(workflowId: string): void {
      if (folder) tracked.push({ workflowId, test: expect.getState().currentTestName ?? '' });
    },
    /** Writes the tracked workflows that have closed; call before the environment is torn down. */
    async keep(client: Client): Promise<void> {
      if (!folder) return;
      mkdirSync(folder, { recursive: true });
      const seen = new Set<string>();
      const write = async (workflowId: string, test: string, runId?: string) => {
        const closed = await fetchClosedHistory(client, workflowId, runId);
        if (!closed || seen.has(closed.runId)) return;
        seen.add(closed.runId);
        const facts = historyFacts(closed.history);
        writeFileSync(
          path.join(folder, `${suite}--${slug(test)}--${facts.workflowType}-${seen.size}.json`),
          encodeHistoryFile(workflowId, closed.runId, closed.history),
        );
        for (const child of facts.children) await write(child.workflowId, test, child.runId);
      };
      for (const { workflowId, test } of tracked.splice(0)) await write(workflowId, test);
    },
  };
}

/**
 * A client that waits for a workflow's result without letting the time-skipping server skip time. The environment's
 * own client unlocks skipping while it waits, and every other open case's timers then fire (years ahead, past the
 * holiday tables) in the middle of a test that did not mean to move the clock.
 */
export function clockHoldingClient(env: TestWorkflowEnvironment): Client {
  return new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
}
