import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

/** The wrapper that execs the Java time-skipping server installed by infra/scripts/install-test-server.sh. */
export const TEST_SERVER_EXECUTABLE = path.resolve(__dirname, '..', '..', 'infra', 'scripts', 'temporal-test-server');

let runtimeInstalled = false;

export function createTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  // The SDK's worker lifecycle logs are noise in test output; warnings and errors still show.
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER_EXECUTABLE } },
  });
}
