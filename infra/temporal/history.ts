/**
 * Workflow histories for audits: fetched from Temporal, kept as JSON (the SDK's own encoding, which its replayer reads
 * back), and replayed against the current workflow code. A replay that fails means the code would no longer produce
 * the decisions a recorded case was run with: a change that would break the cases still running.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './workflows-path';

export type History = ReturnType<typeof historyFromJSON>;

/**
 * One history, as fetched or read back. `name` says where it came from (workflow id, archive id or file); `workflowId`
 * is the run's own id, which the replay needs because a workflow derives ids from it (its children's, for one) and a
 * history does not record it.
 */
export interface NamedHistory {
  name: string;
  workflowId: string;
  history: History;
}

export interface HistoryFacts {
  workflowType: string;
  eventCount: number;
  /** Child workflows the case started (e.g. the Form 3 reminders), which are part of its record. */
  children: { workflowId: string; runId: string }[];
}

export function historyFacts(history: History): HistoryFacts {
  const events = history.events ?? [];
  const workflowType = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
  const children = events.flatMap((event) => {
    const execution = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    return execution?.workflowId && execution.runId ? [{ workflowId: execution.workflowId, runId: execution.runId }] : [];
  });
  return { workflowType, eventCount: events.length, children };
}

/** The JSON kept for a history (the SDK's encoding), and its SHA-256 (what the audit chain records). */
export function encodeHistory(history: History): { json: Buffer; sha256: string } {
  const json = Buffer.from(historyToJSON(history), 'utf8');
  return { json, sha256: createHash('sha256').update(json).digest('hex') };
}

export function decodeHistory(json: Buffer | string): History {
  return historyFromJSON(JSON.parse(typeof json === 'string' ? json : json.toString('utf8')));
}

/** A history file as kept outside the database (test/histories): the run's ids with the SDK's JSON of its history. */
export function encodeHistoryFile(workflowId: string, runId: string, history: History): Buffer {
  return Buffer.from(`{"workflowId":${JSON.stringify(workflowId)},"runId":${JSON.stringify(runId)},"history":${historyToJSON(history)}}\n`, 'utf8');
}

/** Reads a history file; a bare SDK history (as `temporal workflow show --output json` writes) is named by `name`. */
export function decodeHistoryFile(name: string, content: Buffer | string): NamedHistory {
  const parsed = JSON.parse(typeof content === 'string' ? content : content.toString('utf8')) as { workflowId?: unknown; history?: unknown; events?: unknown };
  if (typeof parsed.workflowId === 'string' && parsed.history) return { name, workflowId: parsed.workflowId, history: historyFromJSON(parsed.history) };
  return { name, workflowId: name, history: historyFromJSON(parsed) };
}

export interface ClosedExecution {
  workflowId: string;
  runId: string;
  status: string;
  closedAt: Date;
  history: History;
}

/** A workflow's history if it has closed; undefined while it runs (its record is not complete yet). */
export async function fetchClosedHistory(client: Client, workflowId: string, runId?: string): Promise<ClosedExecution | undefined> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const description = await handle.describe();
  if (description.status.name === 'RUNNING' || !description.closeTime) return undefined;
  const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
  return { workflowId, runId: description.runId, status: description.status.name, closedAt: description.closeTime, history };
}

export interface ReplayOutcome {
  name: string;
  workflowType: string;
  ok: boolean;
  /** `nondeterminism` when the code now decides differently; `error` when the history could not be replayed at all. */
  problem?: { kind: 'nondeterminism' | 'error'; message: string };
}

/** Replays every history against the workflow code as it is now (one replay worker for all). */
export async function replayHistories(histories: readonly NamedHistory[], options: Partial<ReplayWorkerOptions> = {}): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const replay = Worker.runReplayHistories(
    { workflowsPath: WORKFLOWS_PATH, replayName: 'audit-replay', ...options },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  // One result per history, in the order given.
  for await (const result of replay) {
    const replayed = histories[outcomes.length]!;
    const outcome: ReplayOutcome = { name: replayed.name, workflowType: historyFacts(replayed.history).workflowType, ok: !result.error };
    if (result.error) {
      outcome.problem = {
        kind: result.error.name === 'DeterminismViolationError' ? 'nondeterminism' : 'error',
        message: result.error.message,
      };
    }
    outcomes.push(outcome);
  }
  return outcomes;
}
