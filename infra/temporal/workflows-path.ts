/**
 * Where the workflow code is, for the worker's bundle and for replay. A path, not an import: infra never loads the
 * workflows' code itself, the Temporal worker bundles it apart.
 */
export const WORKFLOWS_PATH = require.resolve('../../workflows');
