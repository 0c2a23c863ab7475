/** The API's way to full-recording workflows (workflows/full-recording.ts): start, status, and each step as its Update. */
import type { Client } from '@temporalio/client';
import {
  fullRecordingStatus,
  fullRecordingWorkflow,
  fullRecordingWorkflowId,
  type FullRecordingInput,
  type FullRecordingStatus,
} from '../../workflows/full-recording';
import { CaseWorkflows } from './case-workflows';

export class FullRecordingWorkflows extends CaseWorkflows<FullRecordingInput, FullRecordingStatus> {
  constructor(client: Client, taskQueue: string) {
    super(client, taskQueue, { workflow: fullRecordingWorkflow, workflowId: fullRecordingWorkflowId, status: fullRecordingStatus });
  }

  start(input: FullRecordingInput): Promise<void> {
    return this.startCase(input.applicationId, input);
  }
}
