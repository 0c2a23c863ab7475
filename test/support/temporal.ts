import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/** The wrapper that execs the Java time-skipping server installed by infra/scripts/install-test-server.sh. */
export const TEST_SERVER_EXECUTABLE = path.resolve(__dirname, '..', '..', 'infra', 'scripts', 'temporal-test-server');

export function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER_EXECUTABLE } },
  });
}
