/**
 * Disclosure (Art. 9, Forms 1–3) as pages: the list, Form 1's registration and the case page, whose forms take the
 * same steps as the API through the same handlers (a refused step shows the case again with the refusal on it). Apart
 * from the API routes (disclosure.ts) because the pages carry their own rendering and form conversion; index.ts lists
 * them right after the API routes, so the route list keeps its order.
 */
import { playRefusal, type DisclosureState } from '../../domain/disclosure-steps';
import { DisclosureRequest } from '../../infra/db/entities';
import { decide, type Principal } from '../access';
import {
  addRequestAttachments,
  confirmRecordings,
  recordDestructionReport,
  recordHandover,
  signOffRequest,
  submitRequest,
  withdrawRequest,
} from '../disclosure-steps';
import { requestIdParams } from '../disclosure-schemas';
import { buildPackage } from '../disclosure-package';
import { listRequests, proposeMatches, readRequest, registerRequest } from '../disclosure';
import {
  attachmentForm,
  attachmentFromForm,
  confirmForm,
  confirmFromForm,
  destructionReportForm,
  destructionReportFromForm,
  handoverForm,
  handoverFromForm,
  localInputValue,
  registrationForm,
  registrationFromForm,
  signOffFromForm,
  withdrawForm,
  withdrawFromForm,
  type RegistrationForm,
} from '../disclosure-forms';
import { permittedSteps, readDisclosureOverview } from '../disclosure-overview';
import { ApiError } from '../errors';
import { signOffForm } from '../full-recording-steps';
import { DISCLOSURE_HANDLERS, DISCLOSURE_OPERATOR, DISCLOSURE_READERS, DISCLOSURE_SIGNERS, DISCLOSURE_WITHDRAWERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { disclosureListPage, packagePage, registrationFormPage } from '../ui/disclosure-pages';
import { disclosurePage } from '../ui/disclosure-case-page';
import type { UploadRule } from '../uploads';
import type { RouteDeps } from './deps';
import { framer, refusedOnPage, sendPage, stepFromPage } from './page';
import { DISCLOSURE_EXAMPLE, disclosureDepsOf, HANDOVER_BODY_LIMIT } from './disclosure';

/** The same Form 1 as the registration page sends it: the date-times as datetime-local inputs give them. */
const DISCLOSURE_FORM_EXAMPLE = { ...DISCLOSURE_EXAMPLE, recordingFrom: '2026-11-27T13:00', recordingTo: '2026-11-27T15:00' };

/** The disclosure pages: list, registration, the case and each step taken from it. */
export function disclosurePageRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const disclosureDeps = disclosureDepsOf(deps);
  /** Scans of a disclosure case (its ground, the signed Form 2, the returned Form 3), one purpose per request. */
  const disclosureUpload: UploadRule = { field: 'files', ...deps.attachments };

  /** The disclosure case page, with only the forms the user may use now; `error` comes back from a refused form. */
  const showDisclosure = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const principal = call.principal as Principal;
    const item = await readRequest(disclosureDeps, call);
    const steps = permittedSteps(principal, item);
    const matches = steps.confirmRecordings ? await proposeMatches(call) : [];
    const page = disclosurePage(
      frame(call.res, '/disclosure'),
      {
        item,
        steps,
        matches,
        files: decide(DISCLOSURE_HANDLERS, principal).allowed,
        chain: deps.disclosure.signOffChain,
        signOffLabels: deps.signOffLabels,
        uploadLimits: deps.attachments,
        now: localInputValue(new Date(), deps.timeZone),
        error: error?.message,
        playable:
          decide(DISCLOSURE_HANDLERS, principal).allowed &&
          item.workflow !== null &&
          playRefusal(
            { kind: item.kind, state: item.workflow.state as DisclosureState, viewingUntil: item.workflow.viewingUntil, recordings: [] },
            new Date(),
            deps.timeZone,
          ) === undefined,
      },
      deps.timeZone,
    );
    sendPage(call.res, page, error?.status ?? 200);
  };
  /** A step taken on the case page: back to the case, or the case again with the refusal on it. */
  const fromCase = (call: RouteCall<{ id: string }, unknown, unknown>, step: () => Promise<unknown>) =>
    stepFromPage(call, step, `/disclosure/${call.params.id}`, (refusal) => showDisclosure(call, refusal));
  const showRegistrationForm = (call: RouteCall<unknown, unknown, unknown>, values?: RegistrationForm, error?: ApiError) =>
    sendPage(call.res, registrationFormPage(frame(call.res, '/disclosure'), { values, error: error?.message }), error?.status ?? 200);

  return [
    defineRoute({
      method: 'get',
      path: '/disclosure',
      kind: 'page',
      access: DISCLOSURE_READERS,
      summary: '녹취정보 열람·제공: 신청 목록과 내 결재 대기',
      async handle(call) {
        const principal = call.principal as Principal;
        const items = await listRequests(call);
        // The same inbox as the dashboard's card, for those who sign; auditors sign nothing.
        const signs = principal.roles.some((role) => (deps.disclosure.signOffChain as readonly string[]).includes(role));
        const inbox = signs ? (await readDisclosureOverview(disclosureDeps, call.em, principal)).awaitingMe : undefined;
        sendPage(
          call.res,
          disclosureListPage(frame(call.res, '/disclosure'), { items, inbox, canRegister: decide(DISCLOSURE_OPERATOR, principal).allowed }, deps.timeZone),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/disclosure/new',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      summary: '녹취정보 열람·제공 신청서(별지 제1호서식) 접수 화면',
      async handle(call) {
        showRegistrationForm(call);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      body: registrationForm,
      summary: '녹취정보 열람·제공 신청서 접수 (화면): 잘못 적은 곳은 적은 내용과 함께 신청서 화면에',
      example: { body: DISCLOSURE_FORM_EXAMPLE },
      async handle(call) {
        try {
          const body = registrationFromForm(call.body, deps.calendar);
          const created = await registerRequest(disclosureDeps, { ...call, body });
          call.res.redirect(303, `/disclosure/${created.id}`);
        } catch (error) {
          await refusedOnPage(call, error, (refusal) => showRegistrationForm(call, call.body, refusal));
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/disclosure/:id',
      kind: 'page',
      access: DISCLOSURE_READERS,
      params: requestIdParams,
      summary: '녹취정보 신청 한 건: 신청 내용, 녹취, 결재, 첨부·문서, 처리 이력과 지금 할 수 있는 처리',
      async handle(call) {
        await showDisclosure(call);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/recordings',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: confirmForm,
      summary: '신청에 해당하는 녹취 확인 (화면)',
      async handle(call) {
        await fromCase(call, () => confirmRecordings(disclosureDeps, { ...call, body: confirmFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/submit',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      summary: '결재 상신 (화면)',
      async handle(call) {
        await fromCase(call, () => submitRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/sign-off',
      kind: 'page',
      access: DISCLOSURE_SIGNERS,
      params: requestIdParams,
      body: signOffForm,
      summary: '결재 (화면)',
      example: { body: { decision: 'approve', comment: '확인' } },
      async handle(call) {
        await fromCase(call, () => signOffRequest(disclosureDeps, { ...call, body: signOffFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/withdraw',
      kind: 'page',
      access: DISCLOSURE_WITHDRAWERS,
      params: requestIdParams,
      body: withdrawForm,
      summary: '신청인의 철회 (화면)',
      example: { body: { reason: '신청인이 철회함' } },
      async handle(call) {
        await fromCase(call, () => withdrawRequest(disclosureDeps, { ...call, body: withdrawFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/attachments',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: attachmentForm,
      upload: disclosureUpload,
      summary: '첨부 (화면): 근거 서류, 서명된 인수·인계증, 회신받은 파기 결과 회신서',
      example: { body: { purpose: 'ground_document' } },
      async handle(call) {
        await fromCase(call, () => addRequestAttachments(disclosureDeps, { ...call, body: attachmentFromForm(call.body) }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/handover',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: handoverForm,
      bodyLimit: HANDOVER_BODY_LIMIT,
      summary: '서명된 인수·인계증 접수 (화면): 화면 서명 또는 종이 서명 스캔',
      async handle(call) {
        await fromCase(call, () => recordHandover(disclosureDeps, { ...call, body: handoverFromForm(call.body, deps.calendar) }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/package',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      summary: '제공 파일 만들기 (화면): 비밀번호는 결과 화면에 한 번만',
      async handle(call) {
        let built;
        try {
          built = await buildPackage(disclosureDeps, call);
        } catch (error) {
          return refusedOnPage(call, error, (refusal) => showDisclosure(call, refusal));
        }
        // Loaded by buildPackage in this request already.
        const request = await call.em.findOneOrFail(DisclosureRequest, call.params.id);
        // The password is on this page only: never kept by a browser or a proxy (every answer says so; this one must).
        call.res.set('Cache-Control', 'no-store');
        sendPage(call.res, packagePage(frame(call.res, '/disclosure'), { ...built, id: request.id, managementNumber: request.managementNumber }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/disclosure/:id/destruction-report',
      kind: 'page',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: destructionReportForm,
      summary: '회신받은 파기 결과 회신서 접수 (화면)',
      async handle(call) {
        await fromCase(call, () => recordDestructionReport(disclosureDeps, { ...call, body: destructionReportFromForm(call.body, deps.calendar) }));
      },
    }),
  ];
}
