/** The API's way to disclosure workflows (workflows/disclosure.ts): start, status, and each step as its Update. */
import type { Client } from '@temporalio/client';
import { disclosureStatus, disclosureWorkflow, disclosureWorkflowId, type DisclosureInput, type DisclosureStatus } from '../../workflows/disclosure';
import { CaseWorkflows } from './case-workflows';

export class DisclosureWorkflows extends CaseWorkflows<DisclosureInput, DisclosureStatus> {
  constructor(client: Client, taskQueue: string) {
    super(client, taskQueue, { workflow: disclosureWorkflow, workflowId: disclosureWorkflowId, status: disclosureStatus });
  }
}
