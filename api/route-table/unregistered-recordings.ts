/**
 * Unregistered recordings (issue 19): the calls the capture appliance keeps but could not register, for the managing
 * department — as JSON and as a page. Each read is audited with the recordings it showed.
 */
import { UNREGISTERED_READERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { unregisteredRecordingsPage } from '../ui/unregistered-pages';
import {
  readUnregisteredRecordings,
  unregisteredRecordingList,
  unregisteredRecordingsQuery,
  type UnregisteredRecordingsQuery,
} from '../unregistered-recordings';
import type { RouteDeps } from './deps';
import { framer, sendPage } from './page';

async function readList(call: RouteCall<unknown, UnregisteredRecordingsQuery, unknown>) {
  const list = await readUnregisteredRecordings(call.em, { state: call.query.state });
  await call.audit({
    action: 'unregistered_recordings.read',
    targetType: 'recording',
    targetId: 'unregistered_recordings',
    reason: '미등록 녹취 조회',
    detail: { state: list.state, total: list.total, resultIds: list.items.map((item) => item.recordingId) },
  });
  return list;
}

export function unregisteredRecordingRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/api/unregistered-recordings',
      kind: 'api',
      access: UNREGISTERED_READERS,
      query: unregisteredRecordingsQuery,
      response: unregisteredRecordingList,
      summary: '미등록 녹취: 녹취 장치가 보관하지만 등록하지 못한 통화 (까닭, 언제부터, 삭제 예정 시각), 최근 200건과 전체 건수',
      async handle(call) {
        call.res.json(await readList(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/unregistered-recordings',
      kind: 'page',
      access: UNREGISTERED_READERS,
      query: unregisteredRecordingsQuery,
      summary: '미등록 녹취 화면',
      async handle(call) {
        sendPage(call.res, unregisteredRecordingsPage(frame(call.res, '/unregistered-recordings'), await readList(call), deps.timeZone));
      },
    }),
  ];
}
