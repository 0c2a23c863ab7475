/**
 * The API's way to full-recording workflows (workflows/full-recording.ts): start one per application, read its
 * status, and send it the steps users take. Only the Temporal client; the API never touches a workflow otherwise.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  fullRecordingRenew, fullRecordingRevoke, fullRecordingSignOff, fullRecordingStatus, fullRecordingWorkflow, fullRecordingWorkflowId,
  type FullRecordingInput, type FullRecordingStatus, type RenewSignal, type RevokeSignal, type SignOffSignal,
} from '../../workflows/full-recording';

const START_DEADLINE_MS = 5_000;

export class FullRecordingWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Gives up after five seconds: someone is waiting for the answer, and a failure closes the application visibly. */
  async start(input: FullRecordingInput): Promise<void> {
    await this.client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      this.client.workflow.start(fullRecordingWorkflow, {
        taskQueue: this.taskQueue,
        workflowId: fullRecordingWorkflowId(input.applicationId),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    );
  }

  /** The workflow's own view, or undefined if it is not known (never started, or past the server's retention). */
  async status(applicationId: string): Promise<FullRecordingStatus | undefined> {
    try {
      return await this.client.workflow.getHandle(fullRecordingWorkflowId(applicationId)).query(fullRecordingStatus);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  signOff(applicationId: string, signal: SignOffSignal): Promise<void> {
    return this.client.workflow.getHandle(fullRecordingWorkflowId(applicationId)).signal(fullRecordingSignOff, signal);
  }

  revoke(applicationId: string, signal: RevokeSignal): Promise<void> {
    return this.client.workflow.getHandle(fullRecordingWorkflowId(applicationId)).signal(fullRecordingRevoke, signal);
  }

  renew(applicationId: string, signal: RenewSignal): Promise<void> {
    return this.client.workflow.getHandle(fullRecordingWorkflowId(applicationId)).signal(fullRecordingRenew, signal);
  }
}
