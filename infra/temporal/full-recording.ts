/** The API's way to full-recording workflows (workflows/full-recording.ts). */
import type { Client } from '@temporalio/client';
import {
  fullRecordingRenew, fullRecordingRevoke, fullRecordingSignOff, fullRecordingStatus, fullRecordingWorkflow, fullRecordingWorkflowId,
  type FullRecordingInput, type FullRecordingStatus, type RenewSignal, type RevokeSignal, type SignOffSignal,
} from '../../workflows/full-recording';
import { CaseWorkflows } from './case-workflows';

export class FullRecordingWorkflows extends CaseWorkflows<FullRecordingInput, FullRecordingStatus> {
  constructor(client: Client, taskQueue: string) {
    super(client, taskQueue, { workflow: fullRecordingWorkflow, workflowId: fullRecordingWorkflowId, status: fullRecordingStatus });
  }

  start(input: FullRecordingInput): Promise<void> {
    return this.startCase(input.applicationId, input);
  }

  signOff(applicationId: string, signal: SignOffSignal): Promise<void> {
    return this.send(applicationId, fullRecordingSignOff, signal);
  }

  revoke(applicationId: string, signal: RevokeSignal): Promise<void> {
    return this.send(applicationId, fullRecordingRevoke, signal);
  }

  renew(applicationId: string, signal: RenewSignal): Promise<void> {
    return this.send(applicationId, fullRecordingRenew, signal);
  }
}
