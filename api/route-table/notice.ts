/**
 * Prior notice (Art. 7): the announcement's text and audio file for the PBX, and the calls recorded without notice
 * evidence (the compliance exceptions, also a card of the dashboard).
 */
import { announcementDownload, readAnnouncementAudio } from '../announcement';
import { complianceExceptions, readComplianceExceptions } from '../compliance-exceptions';
import { ANNOUNCEMENT_READERS, COMPLIANCE_READERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { announcementPage } from '../ui/notice-pages';
import { z } from 'zod';
import type { RouteDeps } from './deps';
import { framer, sendPage } from './page';

/** How many flagged calls a list shows unless asked for more, and the most it shows. */
const SHOWN = 20;
export const complianceQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(SHOWN) }).strict();

/**
 * The dashboard's and the API's list of calls recorded without notice evidence, over the storage period (the calls
 * still kept: RETENTION_PERIOD in days); the ids shown are audited.
 */
export async function readCompliance({ em, audit }: Pick<RouteCall<unknown, unknown, unknown>, 'em' | 'audit'>, window: { days: number; limit?: number }) {
  const exceptions = await readComplianceExceptions(em, { days: window.days, limit: window.limit ?? SHOWN });
  await audit({
    action: 'compliance_exceptions.read',
    targetType: 'recording',
    targetId: 'compliance_exceptions',
    reason: '사전고지 준수 예외 조회',
    detail: { total: exceptions.total, resultIds: exceptions.items.map((item) => item.recordingId) },
  });
  return exceptions;
}

export function noticeRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  return [
    defineRoute({
      method: 'get',
      path: '/api/compliance-exceptions',
      kind: 'api',
      access: COMPLIANCE_READERS,
      query: complianceQuery,
      response: complianceExceptions,
      summary: '사전고지 준수 예외 (운영 규정 제7조): 보존기간(RETENTION_PERIOD) 안의 고지 증거 없이 녹음된 통화, 최근 limit건(기본 20, 최대 500)과 전체 건수',
      async handle(call) {
        call.res.json(await readCompliance(call, { days: deps.searchRangeDays, limit: call.query.limit }));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/notice',
      kind: 'page',
      access: ANNOUNCEMENT_READERS,
      summary: '사전고지 안내멘트: 문구와 교환기용 음성 파일 (운영 규정 제7조)',
      async handle(call) {
        sendPage(call.res, announcementPage(frame(call.res, '/notice'), deps.announcement.text, await readAnnouncementAudio(deps.announcement.audioFile)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/notice/announcement.wav',
      kind: 'page',
      access: ANNOUNCEMENT_READERS,
      releasesAudio: 'announcement',
      summary: '사전고지 안내멘트 음성 파일 (WAV, G.711, 8 kHz, 모노)',
      async handle(call) {
        const { fileName, bytes } = await announcementDownload(deps.announcement.audioFile);
        call.res.type('audio/wav').attachment(fileName).send(bytes);
      },
    }),
  ];
}
