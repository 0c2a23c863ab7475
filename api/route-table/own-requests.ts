/**
 * A party's own disclosure requests (Art. 9(1)): an official files a request for calls on their own extension and
 * follows it; the name and department come from the directory, the party check from the login.
 */
import { z } from 'zod';
import type { Principal } from '../access';
import { fileOwnRequest, listOwnRequests, ownExtensionNumbers } from '../disclosure';
import { ownRequestBody, requestView } from '../disclosure-schemas';
import { ownRequestForm, ownRequestFromForm, type OwnRequestForm } from '../disclosure-forms';
import type { ApiError } from '../errors';
import { OWN_REQUESTERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { ownRequestsPage } from '../ui/disclosure-pages';
import type { RouteDeps } from './deps';
import { disclosureDepsOf } from './disclosure';
import { framer, refusedOnPage, sendPage } from './page';

const ownRequestsQuery = z
  .object({
    filed: z
      .string()
      .regex(/^\d{4}-\d{4}$/)
      .optional(),
  })
  .strict();
/** jung.staff's own extension in the demo directory. */
const OWN_REQUEST_EXAMPLE = {
  kind: 'viewing',
  applicantBirthDate: '1985-03-01',
  applicantContact: '010-1234-5678',
  applicantEmail: null,
  extension: '02-2680-1234',
  recordingFrom: '2026-11-27T13:00:00+09:00',
  recordingTo: '2026-11-27T15:00:00+09:00',
  purpose: '민원 응대 내용 확인',
  reason: '민원인과 통화한 내용을 확인하려 합니다.',
};

export function ownRequestRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const disclosureDeps = disclosureDepsOf(deps);

  const showOwnRequests = async (call: RouteCall<unknown, unknown, unknown>, input: { values?: OwnRequestForm; error?: ApiError; filed?: string }) => {
    const principal = call.principal as Principal;
    const [items, extensions] = await Promise.all([listOwnRequests(call), ownExtensionNumbers(call.em, principal)]);
    sendPage(
      call.res,
      ownRequestsPage(frame(call.res, '/my/disclosure'), { items, extensions, values: input.values, error: input.error, filed: input.filed }, deps.timeZone),
      input.error?.status ?? 200,
    );
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/my/disclosure-requests',
      kind: 'api',
      access: OWN_REQUESTERS,
      body: ownRequestBody,
      response: requestView,
      summary: '통화 당사자인 직원이 본인 내선의 녹취정보 열람·제공을 직접 신청 (제9조제1항): 성명·소속은 디렉터리에서, 당사자 확인은 로그인으로',
      example: { body: OWN_REQUEST_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await fileOwnRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/my/disclosure-requests',
      kind: 'api',
      access: OWN_REQUESTERS,
      response: z.array(requestView),
      summary: '내가 직접 낸 녹취정보 신청과 그 상태',
      async handle(call) {
        call.res.json(await listOwnRequests(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/my/disclosure',
      kind: 'page',
      access: OWN_REQUESTERS,
      query: ownRequestsQuery,
      summary: '내 녹취정보 신청: 본인 내선의 통화를 직접 신청하고 상태를 봄',
      async handle(call) {
        await showOwnRequests(call, { filed: call.query.filed });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/my/disclosure',
      kind: 'page',
      access: OWN_REQUESTERS,
      body: ownRequestForm,
      summary: '본인 통화의 녹취정보 신청 (화면): 잘못 적은 곳은 적은 내용과 함께 다시',
      example: { body: { ...OWN_REQUEST_EXAMPLE, applicantEmail: '', recordingFrom: '2026-11-27T13:00', recordingTo: '2026-11-27T15:00' } },
      async handle(call) {
        try {
          const created = await fileOwnRequest(disclosureDeps, { ...call, body: ownRequestFromForm(call.body, deps.calendar) });
          call.res.redirect(303, `/my/disclosure?filed=${encodeURIComponent(created.managementNumber)}`);
        } catch (error) {
          await refusedOnPage(call, error, (refusal) => showOwnRequests(call, { values: call.body, error: refusal }));
        }
      },
    }),
  ];
}
