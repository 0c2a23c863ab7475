/**
 * 처리 흐름도 (process views): each lifecycle's BPMN model for the diagram, and the bpmn-js viewer that draws it,
 * served from this server; the models, the steps and the page part are api/process-views.ts.
 */
import { z } from 'zod';
import { ApiError } from '../errors';
import { PROCESS_MODEL_READERS } from '../policy';
import { BPMN_VENDOR_NAMES, bpmnVendorFiles, LIFECYCLES, processModel } from '../process-views';
import { defineRoute, type RouteSpec } from '../routes';

const lifecycleParams = z.object({ lifecycle: z.enum(LIFECYCLES) });

/** The routes of the process views; built when the route table is, so nothing is read at import time. */
export function processViewRoutes(): RouteSpec[] {
  const { version, files: vendor } = bpmnVendorFiles();
  const vendorParams = z.object({ version: z.literal(version), name: z.enum(BPMN_VENDOR_NAMES) });
  return [
    defineRoute<z.infer<typeof lifecycleParams>>({
      method: 'get',
      path: '/api/process-models/:lifecycle',
      kind: 'api',
      access: PROCESS_MODEL_READERS,
      params: lifecycleParams,
      summary: '처리 흐름도 (BPMN 2.0 XML, 도형 배치 포함)',
      example: { params: { lifecycle: 'disclosure' } },
      async handle({ res, params }) {
        res.type('application/xml; charset=utf-8').send(processModel(params.lifecycle).xml);
      },
    }),
    defineRoute<z.infer<typeof vendorParams>>({
      // Public like /assets: a published library, no data; the login page does not use it.
      method: 'get',
      path: '/vendor/bpmn-js/:version/:name',
      kind: 'page',
      access: 'public',
      params: vendorParams,
      summary: '처리 흐름도 보기 프로그램 (bpmn-js)',
      example: { params: { version, name: 'bpmn-navigated-viewer.production.min.js' } },
      async handle({ res, params }) {
        const file = vendor.get(params.name);
        if (!file) throw new ApiError(404, 'NOT_FOUND', '요청한 주소를 찾을 수 없습니다.');
        // The version is in the path, so the file at a URL never changes: cache it for a year, unlike case pages.
        res.set('Cache-Control', 'public, max-age=31536000, immutable').type(file.type).send(file.body);
      },
    }),
  ];
}
