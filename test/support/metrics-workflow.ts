/**
 * The smallest workflow that runs a workflow task and an activity, for the worker-metrics suite: what it measures is
 * the SDK's own instrumentation, which the real workflows would only make slower to reach.
 */
import { proxyActivities } from '@temporalio/workflow';

const { noteProbe } = proxyActivities<{ noteProbe(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function metricsProbeWorkflow(): Promise<string> {
  await noteProbe();
  return 'done';
}
