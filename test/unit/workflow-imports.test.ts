/**
 * Workflows must stay deterministic: they may import the workflow API, each other, and activities
 * only as types. A Node built-in or a driver imported here would break replay in ways tests rarely see.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WORKFLOWS = path.resolve(__dirname, '..', '..', 'workflows');
const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;

test.each(readdirSync(WORKFLOWS).filter((file) => file.endsWith('.ts')))('%s imports only what a workflow may', (file) => {
  const source = readFileSync(path.join(WORKFLOWS, file), 'utf8');
  const forbidden = [...source.matchAll(IMPORT)]
    .map(([, , typeOnly, specifier]) => ({ typeOnly: Boolean(typeOnly), specifier: specifier as string }))
    .filter(({ typeOnly, specifier }) => {
      if (specifier === '@temporalio/workflow' || specifier === '@temporalio/common') return false;
      if (specifier.startsWith('./')) return false;
      return !(typeOnly && specifier === '../activities');
    });
  expect(forbidden).toEqual([]);
  expect(source).not.toMatch(/\brequire\(|\bimport\(/);
});
