/**
 * The OpenAPI 3 document, generated from the route registry: the same zod schemas that validate a
 * request describe it here, and each operation names the roles its access declaration lets in.
 */
import { z } from 'zod';
import { allowedRoles } from './access';
import type { RouteSpec } from './routes';
import { DOCUMENT_TYPES, typesLabel, type UploadRule } from './uploads';

export const OPENAPI_PATH = '/api/openapi.json';

export const errorBody = z.object({
  code: z.string().describe('바뀌지 않는 오류 코드 (예: FORBIDDEN)'),
  message: z.string().describe('사용자에게 보여 줄 한국어 설명'),
  requestId: z.string().describe('로그와 감사 기록에서 이 요청을 찾는 번호'),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>;

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    description: property.description,
    schema: property,
  }));
}

const ERROR_RESPONSES = {
  400: '입력값 오류',
  401: '로그인 필요',
  403: '권한 없음 또는 요청 확인 토큰(CSRF) 오류',
  413: '본문이 너무 큼',
  415: '본문 형식 오류',
  429: '로그인 시도 제한, 계정 잠김 또는 동시 처리 제한 (제공 파일 검증)',
} as const;

/** The form of an upload route: its text fields as the body schema says, and the files. */
function uploadSchema(route: RouteSpec, upload: UploadRule): Record<string, unknown> {
  const fields = route.body ? (jsonSchema(route.body, 'input') as { properties?: Record<string, unknown>; required?: string[] }) : {};
  return {
    type: 'object',
    properties: {
      ...fields.properties,
      [upload.field]: {
        type: 'array',
        maxItems: upload.maxFiles,
        items: { type: 'string', format: 'binary' },
        description: `${typesLabel(upload.accept ?? DOCUMENT_TYPES)}, 한 개에 ${upload.maxFileBytes} 바이트까지`,
      },
    },
    required: fields.required ?? [],
  };
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], info: { title: string; version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes.filter((candidate) => candidate.kind === 'api')) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const roles = allowedRoles(route.access);
    const upload = route.upload ?? (route.uploadToFile && { ...route.uploadToFile, maxFiles: 1 });
    const errorResponses = Object.fromEntries(
      Object.entries(ERROR_RESPONSES).map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ]),
    );
    paths[path] = {
      ...paths[path],
      [route.method]: {
        summary: route.summary,
        'x-roles': roles,
        ...(roles === 'public' ? { security: [] } : {}),
        ...(route.ownership ? { 'x-ownership': route.ownership.description } : {}),
        parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
        ...(upload
          ? { requestBody: { required: true, content: { 'multipart/form-data': { schema: uploadSchema(route, upload) } } } }
          : route.body
            ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } }
            : {}),
        responses: {
          [route.method === 'delete' ? '204' : '200']: route.releasesAudio
            ? {
                description: '성공: 비밀번호로 AES-256 암호화한 ZIP (첨부 파일)',
                content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
              }
            : route.response
              ? { description: '성공', content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } }
              : { description: '성공' },
          ...errorResponses,
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        '행정전화 녹취시스템 API. 로그인은 세션 쿠키(gm_session)로, 상태를 바꾸는 요청은 X-CSRF-Token 헤더로 확인합니다. ' +
        'GET /api/session 이 로그인 전·후의 토큰을 줍니다.',
    },
    components: {
      schemas: { Error: jsonSchema(errorBody, 'output') },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'gm_session' } },
    },
    security: [{ session: [] }],
    paths,
  };
}
