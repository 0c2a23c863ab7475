/**
 * Access rights and their review: who holds access rights to recordings (Art. 8(3)), and the monthly access review
 * (월간 접근기록 점검, 안전성 확보조치 기준 제8조) with its report and the chief's sign-off; the API and the pages.
 */
import { z } from 'zod';
import { decide, type Principal } from '../access';
import { listPrivilegedHolders, privilegedHolders } from '../access-holders';
import {
  accessReport,
  accessReviewDetail,
  accessReviewParams,
  accessReviewSignOffBody,
  accessReviewView,
  listAccessReviews,
  readAccessReview,
  signOffAccessReview,
  type AccessReviewDeps,
} from '../access-review';
import type { ApiError } from '../errors';
import { ACCESS_REVIEW_FILES, ACCESS_REVIEW_READERS, ACCESS_REVIEW_SIGNERS, HOLDER_READERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { accessReviewListPage, accessReviewPage } from '../ui/access-review-pages';
import { accessHoldersPage } from '../ui/pages';
import type { RouteDeps } from './deps';
import { framer, sendPage, stepFromPage, XLSX_TYPE } from './page';

export function accessRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const accessReviewDeps: AccessReviewDeps = { workflows: deps.accessReviewWorkflows, documents: deps.documents };

  const showAccessReview = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const principal = call.principal as Principal;
    const item = await readAccessReview(accessReviewDeps, call);
    const canSignOff = decide(ACCESS_REVIEW_SIGNERS, principal).allowed && item.status === 'awaiting_sign_off' && item.awaiting === 'chief';
    const files = decide(ACCESS_REVIEW_FILES, principal).allowed;
    sendPage(
      call.res,
      accessReviewPage(frame(call.res, '/access-reviews'), item, { canSignOff, files, error: error?.message }, deps.timeZone),
      error?.status ?? 200,
    );
  };

  const readHolders = async (call: RouteCall<unknown, unknown, unknown>) => {
    const holders = await listPrivilegedHolders(deps.directory, deps.maxPrivilegedHolders);
    await call.audit({
      action: 'access_holders.read',
      targetType: 'directory',
      targetId: 'privileged_roles',
      reason: '접근 권한자 현황 조회',
      detail: { count: holders.count, overLimit: holders.overLimit },
    });
    return holders;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/access-holders',
      kind: 'api',
      access: HOLDER_READERS,
      response: privilegedHolders,
      summary: '접근 권한자 현황 (운영 규정 제8조제3항)',
      async handle(call) {
        call.res.json(await readHolders(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/access-holders',
      kind: 'page',
      access: HOLDER_READERS,
      summary: '접근 권한자 현황 화면',
      async handle(call) {
        sendPage(call.res, accessHoldersPage(frame(call.res, '/access-holders'), await readHolders(call), deps.timeZone));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/access-reviews',
      kind: 'api',
      access: ACCESS_REVIEW_READERS,
      response: z.array(accessReviewView),
      summary: '월간 접근기록 점검 (안전성 확보조치 기준 제8조): 최근 60개월',
      async handle(call) {
        call.res.json(await listAccessReviews(call));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get',
      path: '/api/access-reviews/:id',
      kind: 'api',
      access: ACCESS_REVIEW_READERS,
      params: accessReviewParams,
      response: accessReviewDetail,
      summary: '한 달의 접근기록 점검: 건수, 점검 대기·완료, 처리 흐름 (조회는 감사 기록)',
      async handle(call) {
        call.res.json(await readAccessReview(accessReviewDeps, call));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get',
      path: '/api/access-reviews/:id/report',
      kind: 'api',
      access: ACCESS_REVIEW_FILES,
      params: accessReviewParams,
      summary: '접근기록 점검 보고서 XLSX (요약, 재생·내보내기, 거부, 업무시간 외, 이상 징후; 내려받기는 감사 기록)',
      async handle(call) {
        const { name, xlsx } = await accessReport(accessReviewDeps, call);
        call.res.type(XLSX_TYPE).attachment(name).set('Cache-Control', 'no-store').send(xlsx);
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>, unknown, z.output<typeof accessReviewSignOffBody>>({
      method: 'post',
      path: '/api/access-reviews/:id/sign-off',
      kind: 'api',
      access: ACCESS_REVIEW_SIGNERS,
      params: accessReviewParams,
      body: accessReviewSignOffBody,
      summary: '과장의 접근기록 점검 완료 기록',
      example: { body: { comment: '이상 징후 2건 확인, 해당 직원 면담 완료' } },
      async handle(call) {
        await signOffAccessReview(accessReviewDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/access-reviews',
      kind: 'page',
      access: ACCESS_REVIEW_READERS,
      summary: '접근기록 점검 목록 화면',
      async handle(call) {
        sendPage(call.res, accessReviewListPage(frame(call.res, '/access-reviews'), await listAccessReviews(call), deps.timeZone));
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>>({
      method: 'get',
      path: '/access-reviews/:id',
      kind: 'page',
      access: ACCESS_REVIEW_READERS,
      params: accessReviewParams,
      summary: '한 달의 접근기록 점검 화면 (과장은 점검 완료 기록)',
      async handle(call) {
        await showAccessReview(call);
      },
    }),
    defineRoute<z.output<typeof accessReviewParams>, unknown, z.output<typeof accessReviewSignOffBody>>({
      method: 'post',
      path: '/access-reviews/:id/sign-off',
      kind: 'page',
      access: ACCESS_REVIEW_SIGNERS,
      params: accessReviewParams,
      body: accessReviewSignOffBody,
      summary: '접근기록 점검 완료 (화면)',
      example: { body: { comment: '확인함' } },
      async handle(call) {
        await stepFromPage(
          call,
          () => signOffAccessReview(accessReviewDeps, call),
          `/access-reviews/${call.params.id}`,
          (refusal) => showAccessReview(call, refusal),
        );
      },
    }),
  ];
}
