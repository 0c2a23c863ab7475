/**
 * The API's way to one kind of case workflow (a full-recording application, a disclosure request): start one per
 * case, read its status, send it the steps users take. Only the Temporal client; the API never touches a workflow
 * otherwise.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';

const START_DEADLINE_MS = 5_000;

export interface CaseWorkflowKind<I, S> {
  workflow: (input: I) => Promise<S>;
  workflowId(caseId: string): string;
  status: QueryDefinition<S>;
}

export class CaseWorkflows<I, S> {
  constructor(
    protected readonly client: Client,
    protected readonly taskQueue: string,
    private readonly kind: CaseWorkflowKind<I, S>,
  ) {}

  /** Gives up after five seconds: someone is waiting for the answer, and a failure closes the case visibly. */
  async startCase(caseId: string, input: I): Promise<void> {
    await this.client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      this.client.workflow.start(this.kind.workflow, {
        taskQueue: this.taskQueue,
        workflowId: this.kind.workflowId(caseId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    );
  }

  /** The workflow's own view, or undefined if it is not known (never started, or past the server's retention). */
  async status(caseId: string): Promise<S | undefined> {
    try {
      return await this.client.workflow.getHandle(this.kind.workflowId(caseId)).query(this.kind.status);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  send<T>(caseId: string, signal: SignalDefinition<[T]>, payload: T): Promise<void> {
    return this.client.workflow.getHandle(this.kind.workflowId(caseId)).signal(signal, payload);
  }
}
