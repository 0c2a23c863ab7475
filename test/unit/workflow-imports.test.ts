/**
 * Workflows must stay deterministic: they may import the workflow API, each other, a few modules of plain data, and
 * anything else only as types (erased when compiled). A Node built-in or a driver imported here would break replay in
 * ways tests rarely see.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WORKFLOWS = path.resolve(__dirname, '..', '..', 'workflows');
/** Constant data and nothing else: no imports of their own but types. */
const PURE_DATA = ['../infra/role-labels'];
const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;

test.each(readdirSync(WORKFLOWS).filter((file) => file.endsWith('.ts')))('%s imports only what a workflow may', (file) => {
  const source = readFileSync(path.join(WORKFLOWS, file), 'utf8');
  const forbidden = [...source.matchAll(IMPORT)]
    .map(([, , typeOnly, specifier]) => ({ typeOnly: Boolean(typeOnly), specifier: specifier as string }))
    .filter(({ typeOnly, specifier }) => {
      if (specifier === '@temporalio/workflow' || specifier === '@temporalio/common') return false;
      if (specifier.startsWith('./') || PURE_DATA.includes(specifier)) return false;
      return !typeOnly;
    });
  expect(forbidden).toEqual([]);
  expect(source).not.toMatch(/\brequire\(|\bimport\(/);
});

test.each(PURE_DATA)('%s, imported by workflows, imports nothing but types', (specifier) => {
  const source = readFileSync(path.join(WORKFLOWS, `${specifier}.ts`), 'utf8');
  expect([...source.matchAll(IMPORT)].filter(([, , typeOnly]) => !typeOnly)).toEqual([]);
});
