/** The OpenAPI document is generated from the same schemas that validate requests, and says who may call what. */
import type { MikroORM } from '@mikro-orm/core';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestApi, TestClient, type TestApi } from '../support/api';

let database: TestDatabase;
let orm: MikroORM;
let api: TestApi;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  orm = database.orm;
  api = await startTestApi(orm);
});
afterAll(async () => {
  await api?.close();
  await database?.dispose();
});

interface Operation {
  summary: string;
  'x-roles': string[] | 'public';
  parameters: { name: string; in: string; required: boolean; schema: { pattern?: string; maximum?: number } }[];
  requestBody?: { content: { 'application/json': { schema: { required: string[]; properties: Record<string, unknown> } } } };
  responses: Record<string, unknown>;
}

test('GET /api/openapi.json describes every JSON route with its parameters, body, roles and errors', async () => {
  const { status, body } = await new TestClient(api.url).json<{ openapi: string; paths: Record<string, Record<string, Operation>> }>(
    'GET',
    '/api/openapi.json',
  );
  expect(status).toBe(200);
  expect(body.openapi).toBe('3.0.3');
  const documented = Object.entries(body.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
  const apiRoutes = api.server.routes
    .filter((route) => route.kind === 'api')
    .map((route) => `${route.method.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
  expect(documented.sort()).toEqual(apiRoutes.sort());

  const search = body.paths['/api/recordings']?.get as Operation;
  expect(search['x-roles']).toEqual(['chief', 'deputy', 'operator', 'dept_head', 'staff']);
  const parameter = (name: string) => search.parameters.find((candidate) => candidate.name === name);
  expect(parameter('extension')).toMatchObject({ in: 'query', required: false, schema: { pattern: '^[0-9][0-9-]{0,31}$' } });
  expect(parameter('limit')?.schema.maximum).toBe(100);
  expect(Object.keys(search.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));

  const login = body.paths['/api/session']?.post as Operation;
  expect(login['x-roles']).toBe('public');
  expect(login.requestBody?.content['application/json'].schema.required.sort()).toEqual(['password', 'username']);
  expect(body.paths['/api/recordings/{id}']?.get?.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
});
