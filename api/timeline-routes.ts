/** The case timeline's routes (처리 경위): its JSON, its page and its workbook, each read audited. */
import type { Response } from 'express';
import type { z } from 'zod';
import { writeTimelineXlsx } from '../templates/case-timeline';
import type { Grant } from './access';
import { defineRoute, type RouteCall, type RouteSpec } from './routes';
import { caseTimeline, readCaseTimeline, timelineParams, type CaseTimeline, type TimelineDeps } from './timeline';
import type { Frame } from './ui/layout';
import { timelinePage, timelineWorkbook } from './ui/timeline-pages';

/** The managing department and auditors; never anyone who might be a party to the case. */
export const TIMELINE_READERS: readonly Grant[] = [{ roles: ['chief', 'deputy', 'operator', 'auditor'], scope: 'everything' }];
export const TIMELINE_ASSETS = { 'timeline.css': 'text/css; charset=utf-8' } as const;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface TimelineRouteDeps extends TimelineDeps {
  municipalityName: string;
  /** The page frame of the route table (user, navigation). */
  frame(res: Response, currentPath?: string): Frame;
}

type TimelineCall = RouteCall<z.output<typeof timelineParams>, unknown, unknown>;

/** Reads the timeline and audits that it was read (or exported) with what was shown, before it is answered. */
async function readAudited(deps: TimelineDeps, call: TimelineCall, action: 'timeline.read' | 'timeline.exported', format: string): Promise<CaseTimeline> {
  const timeline = await readCaseTimeline(call.em, deps, call.params.caseType, call.params.id);
  await call.audit({
    action, targetType: call.params.caseType, targetId: call.params.id,
    reason: action === 'timeline.read' ? `처리 경위 조회 (${timeline.caseNumber})` : `처리 경위 내려받기 (${timeline.caseNumber})`,
    detail: { format, items: timeline.items.length, chainOk: timeline.chain.ok, workflowSources: timeline.workflows.map((workflow) => workflow.source) },
  });
  return timeline;
}

export function timelineRoutes(deps: TimelineRouteDeps): RouteSpec[] {
  const example = { params: { caseType: 'disclosure_request', id: '00000000-0000-4000-8000-000000000000' } };
  return [
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get', path: '/api/cases/:caseType/:id/timeline', kind: 'api', access: TIMELINE_READERS, params: timelineParams, response: caseTimeline,
      summary: '사건의 처리 경위: 감사 기록과 업무 흐름 이력을 시간순으로 (누가, 언제, 어떤 문서·녹취·제공 파일, 무엇이 공개되었는지; 조회는 감사 기록)',
      example,
      async handle(call) {
        call.res.json(await readAudited(deps, call, 'timeline.read', 'json'));
      },
    }),
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get', path: '/cases/:caseType/:id/timeline', kind: 'page', access: TIMELINE_READERS, params: timelineParams,
      summary: '처리 경위 화면 (A4 인쇄용 양식 포함; 조회는 감사 기록)',
      example,
      async handle(call) {
        const timeline = await readAudited(deps, call, 'timeline.read', 'html');
        const back = call.params.caseType === 'disclosure_request' ? `/disclosure/${call.params.id}` : `/full-recording/${call.params.id}`;
        const current = call.params.caseType === 'disclosure_request' ? '/disclosure' : '/full-recording';
        call.res.status(200).type('html').send(timelinePage(deps.frame(call.res, current), timeline, { back, timeZone: deps.timeZone, municipalityName: deps.municipalityName }));
      },
    }),
    defineRoute<z.output<typeof timelineParams>>({
      method: 'get', path: '/cases/:caseType/:id/timeline.xlsx', kind: 'page', access: TIMELINE_READERS, params: timelineParams,
      summary: '처리 경위 내려받기 (XLSX, A4 가로 인쇄 설정; 내려받기는 감사 기록)',
      example,
      async handle(call) {
        const timeline = await readAudited(deps, call, 'timeline.exported', 'xlsx');
        const xlsx = await writeTimelineXlsx(timelineWorkbook(timeline, deps.timeZone), { municipalityName: deps.municipalityName, timeZone: deps.timeZone });
        call.res.type(XLSX_TYPE).attachment(`처리경위_${timeline.caseNumber.replace(/[^0-9A-Za-z가-힣-]+/g, '_')}.xlsx`).set('Cache-Control', 'no-store').send(xlsx);
      },
    }),
  ];
}
