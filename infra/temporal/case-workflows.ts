/**
 * The API's way to one kind of case workflow (a full-recording application, a disclosure request): start one per
 * case, read its status, send it the steps users take. Only the Temporal client; the API never touches a workflow
 * otherwise.
 */
import { isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { STEP_REFUSED, type StepAccepted } from '../../workflows/human-steps';
import type { History } from './history';

const START_DEADLINE_MS = 5_000;
/** A case's timeline waits this long for its history before it shows the archive's instead. */
const HISTORY_DEADLINE_MS = 10_000;
/** gRPC's NOT_FOUND (the grpc-js package is the SDK's dependency, not ours). */
const GRPC_NOT_FOUND = 5;

/** The workflow refused a human step; the message is its Korean reason, for the user as it is. */
export class StepRefusedError extends Error {
  override readonly name = 'StepRefusedError';
}

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

  /**
   * A human step, accepted or refused by the workflow itself before this returns: the rule is applied once, where the
   * case lives, with no race between a check and a signal. A refusal is a StepRefusedError with the Korean reason.
   */
  async step<T>(caseId: string, update: UpdateDefinition<StepAccepted, [T]>, request: T): Promise<StepAccepted> {
    try {
      return await this.client.workflow.getHandle(this.kind.workflowId(caseId)).executeUpdate(update, { args: [request] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === STEP_REFUSED) {
        throw new StepRefusedError(error.cause.message);
      }
      if (error instanceof WorkflowNotFoundError)
        throw new StepRefusedError('이 신청은 이미 종결되었거나 업무 흐름을 찾을 수 없습니다. 관리부서에 문의하십시오.');
      throw error;
    }
  }

  /**
   * A workflow's event history as far as it has run (the case's own or a child it started; the latest run unless one
   * is named), or undefined once the server no longer has it (past its retention: the archive has it then).
   */
  async history(workflowId: string, runId?: string): Promise<History | undefined> {
    try {
      return await this.client.connection.withDeadline(Date.now() + HISTORY_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowId, runId).fetchHistory(),
      );
    } catch (error) {
      // fetchHistory answers the service's own NOT_FOUND, not the SDK's WorkflowNotFoundError.
      if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && (error.code as number) === GRPC_NOT_FOUND)) return undefined;
      throw error;
    }
  }
}
