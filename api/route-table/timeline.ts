/** The case timeline (처리 경위): its JSON, its page and its workbook, each read audited; the reading is api/timeline.ts. */
import type { z } from 'zod';
import { writeTimelineXlsx } from '../../templates/case-timeline';
import { TIMELINE_READERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { caseTimeline, timelineParams, type CaseTimeline } from '../timeline-schemas';
import { readCaseTimeline, type TimelineDeps } from '../timeline';
import { timelinePage, timelineWorkbook } from '../ui/timeline-pages';
import type { RouteDeps } from './deps';
import { framer, XLSX_TYPE } from './page';

type TimelineCall = RouteCall<z.output<typeof timelineParams>, unknown, unknown>;

/** Reads the timeline and audits that it was read (or exported) with what was shown, before it is answered. */
async function readAudited(deps: TimelineDeps, call: TimelineCall, action: 'timeline.read' | 'timeline.exported', format: string): Promise<CaseTimeline> {
  const timeline = await readCaseTimeline(call.em, deps, call.params.caseType, call.params.id);
  await call.audit({
    action,
    targetType: call.params.caseType,
    targetId: call.params.id,
    reason: action === 'timeline.read' ? `처리 경위 조회 (${timeline.caseNumber})` : `처리 경위 내려받기 (${timeline.caseNumber})`,
    detail: { format, items: timeline.items.length, chainOk: timeline.chain.ok, workflowSources: timeline.workflows.map((workflow) => workflow.source) },
  });
  return timeline;
}

export function timelineRoutes(site: RouteDeps): RouteSpec[] {
  const deps: TimelineDeps & { municipalityName: string } = {
    documents: site.documents,
    // Both wrap the same Temporal client; either reads any workflow's history.
    histories: site.disclosureWorkflows ?? site.fullRecordingWorkflows,
    timeZone: site.timeZone,
    municipalityName: site.municipalityName,
  };
  const frame = framer(site);
  const example = { params: { caseType: 'disclosure_request', id: '00000000-0000-4000-8000-000000000000' } };
  return [
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get',
      path: '/api/cases/:caseType/:id/timeline',
      kind: 'api',
      access: TIMELINE_READERS,
      params: timelineParams,
      response: caseTimeline,
      summary: '사건의 처리 경위: 감사 기록과 업무 흐름 이력을 시간순으로 (누가, 언제, 어떤 문서·녹취·제공 파일, 무엇이 공개되었는지; 조회는 감사 기록)',
      example,
      async handle(call) {
        call.res.json(await readAudited(deps, call, 'timeline.read', 'json'));
      },
    }),
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get',
      path: '/cases/:caseType/:id/timeline',
      kind: 'page',
      access: TIMELINE_READERS,
      params: timelineParams,
      summary: '처리 경위 화면 (A4 인쇄용 양식 포함; 조회는 감사 기록)',
      example,
      async handle(call) {
        const timeline = await readAudited(deps, call, 'timeline.read', 'html');
        const back = call.params.caseType === 'disclosure_request' ? `/disclosure/${call.params.id}` : `/full-recording/${call.params.id}`;
        const current = call.params.caseType === 'disclosure_request' ? '/disclosure' : '/full-recording';
        call.res
          .status(200)
          .type('html')
          .send(timelinePage(frame(call.res, current), timeline, { back, timeZone: deps.timeZone, municipalityName: deps.municipalityName }));
      },
    }),
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get',
      path: '/cases/:caseType/:id/timeline.xlsx',
      kind: 'page',
      access: TIMELINE_READERS,
      params: timelineParams,
      summary: '처리 경위 내려받기 (XLSX, A4 가로 인쇄 설정; 내려받기는 감사 기록)',
      example,
      async handle(call) {
        const timeline = await readAudited(deps, call, 'timeline.exported', 'xlsx');
        const xlsx = await writeTimelineXlsx(timelineWorkbook(timeline, deps.timeZone), { municipalityName: deps.municipalityName, timeZone: deps.timeZone });
        call.res
          .type(XLSX_TYPE)
          .attachment(`처리경위_${timeline.caseNumber.replace(/[^0-9A-Za-z가-힣-]+/g, '_')}.xlsx`)
          .set('Cache-Control', 'no-store')
          .send(xlsx);
      },
    }),
  ];
}
