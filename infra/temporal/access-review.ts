/**
 * The API's way to the monthly access reviews (workflows/access-review.ts): a Schedule starts them, so the API only
 * reads a review's status and sends the chief's sign-off, by the run's workflow id kept on the review's row.
 */
import type { Client } from '@temporalio/client';
import { accessReviewStatus, accessReviewWorkflow, type AccessReviewInput, type AccessReviewWorkflowStatus } from '../../workflows/access-review';
import { CaseWorkflows } from './case-workflows';

export class AccessReviewWorkflows extends CaseWorkflows<AccessReviewInput, AccessReviewWorkflowStatus> {
  constructor(client: Client, taskQueue: string) {
    super(client, taskQueue, { workflow: accessReviewWorkflow, workflowId: (workflowId) => workflowId, status: accessReviewStatus });
  }
}
