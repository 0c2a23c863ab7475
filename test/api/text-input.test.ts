/**
 * Every text field of every route with a body or query (their declared examples): a control character, a bidi
 * override or a zero-width character is refused with INVALID_TEXT naming the field, and nothing is stored.
 */
import type { MikroORM } from '@mikro-orm/core';
import JSZip from 'jszip';
import type { RoleId } from '../../domain/roles';
import type { RouteSpec } from '../../api/routes';
import { availableDrivers, createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, SAMPLE_FILES, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';

const CONTROLS = ['\u0001', '\u001B', '\u0008', '\u007F'];
const BIDI_AND_INVISIBLE = ['\u202E', '\u2066', '\u2069', '\u200E', '\u200F', '\u200B', '\u200D', '\uFEFF', '\u2060'];

type Texts = Record<string, unknown>;

/** The paths of the string leaves of an example, as [key] or [key, index]. */
function textPaths(value: Texts | undefined): (string | number)[][] {
  return Object.entries(value ?? {}).flatMap(([key, item]) =>
    typeof item === 'string' ? [[key]] : Array.isArray(item) ? item.flatMap((entry, index) => (typeof entry === 'string' ? [[key, index]] : [])) : [],
  );
}

function withText(value: Texts, path: (string | number)[], text: string): Texts {
  const [key, index] = path as [string, number | undefined];
  if (index === undefined) return { ...value, [key]: text };
  const list = [...(value[key] as string[])];
  list[index] = text;
  return { ...value, [key]: list };
}

async function someZip(): Promise<Buffer> {
  const zip = new JSZip();
  zip.file('readme.txt', '제공 파일');
  return zip.generateAsync({ type: 'nodebuffer' });
}

async function entityCounts(orm: MikroORM): Promise<Record<string, number>> {
  const em = orm.em.fork();
  const counts: Record<string, number> = {};
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.embeddable || meta.virtual || meta.abstract || meta.className === 'AuditEvent' || !meta.tableName) continue;
    counts[meta.className] = await em.count(meta.className);
  }
  return counts;
}

for (const driver of availableDrivers()) {
  describe(`text inputs (${driver})`, () => {
    let database: TestDatabase;
    let api: TestApi;
    let calls: SeededCalls;
    const clients = new Map<string, TestClient>();

    beforeAll(async () => {
      database = await createTestDatabase(driver);
      calls = await seedCalls(database.orm);
      api = await startTestApi(database.orm);
    });
    afterAll(async () => {
      await api?.close();
      await database?.dispose();
    });

    async function clientFor(route: RouteSpec): Promise<TestClient> {
      const role = route.access === 'public' ? 'anonymous' : (route.access[0]?.roles[0] as RoleId);
      let client = clients.get(role);
      if (!client) {
        client = role === 'anonymous' ? new TestClient(api.url) : await loggedIn(api.url, role);
        if (role === 'anonymous') client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
        clients.set(role, client);
      }
      return client;
    }

    async function send(route: RouteSpec, query: Texts | undefined, body: Texts | undefined): Promise<{ status: number; text: string }> {
      const params: Record<string, string> = { id: calls.staffCall.id, ...route.example?.params };
      const path = route.path.replace(/:([A-Za-z]+)/g, (_match, name: string) => params[name] as string);
      const search = query ? `?${new URLSearchParams(query as Record<string, string>).toString()}` : '';
      const response = await (
        await clientFor(route)
      ).request(
        route.method.toUpperCase(),
        path + search,
        route.upload
          ? {
              multipart: {
                fields: body as Record<string, string | string[]> | undefined,
                files: [{ field: route.upload.field, name: 'evidence.pdf', type: 'application/pdf', content: SAMPLE_FILES.pdf }],
              },
            }
          : route.uploadToFile
            ? {
                multipart: {
                  fields: body as Record<string, string | string[]> | undefined,
                  files: [{ field: route.uploadToFile.field, name: 'package.zip', type: 'application/zip', content: await someZip() }],
                },
              }
            : route.kind === 'api'
              ? { json: body }
              : { form: body as Record<string, string> | undefined },
      );
      const text = await response.text();
      // The verify route's one-at-a-time limit is let go just after the previous refusal was answered.
      if (response.status === 429 && text.includes('VERIFY_BUSY')) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return send(route, query, body);
      }
      return { status: response.status, text };
    }

    test('a control, bidi or zero-width character in any text field is refused with INVALID_TEXT naming the field, and nothing changes', async () => {
      // Logged in first: the sessions are not what this test counts.
      for (const route of api.server.routes) await clientFor(route);
      const before = await entityCounts(database.orm);
      const mismatches: string[] = [];
      let tried = 0;
      for (const route of api.server.routes) {
        const key = `${route.method.toUpperCase()} ${route.path}`;
        for (const where of ['query', 'body'] as const) {
          const example = route.example?.[where];
          if (!route[where] || !example) continue;
          for (const path of textPaths(example)) {
            // A form sends a list of one as a single field, so the refusal names the field without its index.
            const field = route.kind === 'api' ? path.join('.') : String(path[0]);
            // Passwords are never printed: only control characters are refused in them (api/text-input.ts).
            const characters = /password/i.test(String(path[0])) ? CONTROLS : [...CONTROLS, ...BIDI_AND_INVISIBLE];
            for (const character of characters) {
              const original = path.reduce<unknown>((value, step) => (value as Record<string | number, unknown>)[step], example) as string;
              const changed = withText(example, path, `${original.slice(0, 1)}${character}${original.slice(1)}`);
              const { status, text } = await send(route, where === 'query' ? changed : route.example?.query, where === 'body' ? changed : route.example?.body);
              tried += 1;
              const codePoint = `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
              if (status !== 400 || !text.includes('INVALID_TEXT') || !text.includes(field) || !text.includes(codePoint)) {
                mismatches.push(`${key} ${where}.${field} ${codePoint}: ${status} ${text.slice(0, 160)}`);
              }
            }
          }
        }
      }
      expect(mismatches).toEqual([]);
      // Sure to have covered the text routes: the sign-offs, the applications, the disclosure requests, the login.
      expect(tried).toBeGreaterThan(200);
      expect(await entityCounts(database.orm)).toEqual(before);
    });

    test('the refusal names the field in Korean; line breaks and tabs in a reason stay allowed', async () => {
      const head = await loggedIn(api.url, 'dept_head');
      const route = api.server.routes.find((candidate) => candidate.method === 'post' && candidate.path === '/api/full-recording-applications');
      const example = route?.example?.body as Texts;
      const refused = await head.json('POST', '/api/full-recording-applications', { json: { ...example, reason: '업무\u0001상 필요' } });
      expect(refused).toMatchObject({ status: 400, body: { code: 'INVALID_TEXT' } });
      expect(refused.body.message).toMatch(/reason.*제어 문자\(U\+0001\)는 쓸 수 없습니다/);
      const overridden = await head.json('POST', '/api/full-recording-applications', { json: { ...example, reason: '업무\u202E요필 상' } });
      expect(overridden.body.message).toMatch(/글자 방향을 바꾸는 문자\(U\+202E\)/);

      const multiline = await head.json('POST', '/api/full-recording-applications', { json: { ...example, reason: '업무상 필요\r\n\t- 민원 응대 확인' } });
      expect(multiline.body.code).not.toBe('INVALID_TEXT');
    });
  });
}
