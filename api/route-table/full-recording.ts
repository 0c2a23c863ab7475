/**
 * Full recording (Art. 6): a department head applies for their own department's extensions with evidence, the
 * managing department signs off, the application is revoked or renewed; the API and the pages.
 */
import { z } from 'zod';
import { decide, type Principal } from '../access';
import { attachmentParams, attachmentView, sendAttachment } from '../attachments';
import { ApiError } from '../errors';
import { addEvidence, applicationDocument, evidenceFile, previewApplicationDocument } from '../full-recording-documents';
import {
  applicationBody,
  applicationDetail,
  applicationIdParams,
  applicationView,
  applyForFullRecording,
  extensionView,
  listApplications,
  ownDepartmentApplication,
  ownDepartmentList,
  readApplication,
  revokeBody,
  signOffBody,
  type ApplicationBody,
} from '../full-recording';
import {
  applicationForm,
  listExtensions,
  parseApplicationForm,
  permittedActions,
  readFullRecordingOverview,
  renewApplication,
  revokeApplication,
  revokeForm,
  signOffApplication,
  signOffForm,
} from '../full-recording-steps';
import { APPLICANTS, APPLICATION_READERS, REVOKERS, SIGNERS } from '../policy';
import { defineRoute, type RouteCall, type RouteSpec } from '../routes';
import { applicationFormPage, applicationPage, fullRecordingListPage } from '../ui/full-recording-pages';
import type { UploadRule } from '../uploads';
import type { RouteDeps, SiteFacts } from './deps';
import { DOCX_TYPE, framer, refusedOnPage, sendPage, stepFromPage } from './page';

const APPLICATION_EXAMPLE = {
  extensions: ['02-2680-1234'],
  ground: 'malicious_complaints',
  reason: '폭언·욕설 민원이 반복되어 직원 보호를 위해 전수 녹취가 필요합니다',
  periodFrom: '2026-12-01',
  periodTo: '2027-05-31',
};

/** What the full-recording procedure needs of the system (also read by the dashboard's card). */
export function fullRecordingDepsOf(deps: SiteFacts) {
  return {
    calendar: deps.calendar,
    directory: deps.directory,
    municipalityName: deps.municipalityName,
    templatesDir: deps.templatesDir,
    announcementText: deps.announcement.text,
    workflows: deps.fullRecordingWorkflows,
    approvalChain: deps.fullRecordingApprovalChain,
    reminderWorkingDays: deps.approvalReminderWorkingDays,
    documents: deps.documents,
    maxEvidenceFiles: deps.attachments.maxFiles,
  };
}

export function fullRecordingRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const fullRecordingDeps = fullRecordingDepsOf(deps);
  /** 증빙자료 with a full-recording application: on the form that files it, and added while it is reviewed. */
  const evidenceUpload: UploadRule = { field: 'evidence', ...deps.attachments };

  /** The application page, with the forms the user may use now; `error` comes back from a refused form. */
  const showApplication = async (call: RouteCall<{ id: string }, unknown, unknown>, error?: ApiError) => {
    const item = await readApplication(fullRecordingDeps, call);
    const can = await permittedActions(fullRecordingDeps, call.em, call.principal as Principal, item);
    sendPage(
      call.res,
      applicationPage(frame(call.res, '/full-recording'), { item, can, evidenceLimits: deps.attachments, error: error?.message }, deps.timeZone),
      error?.status ?? 200,
    );
  };
  /** A step taken from the page: back to the application, with the refusal shown on it if there was one. */
  const fromPage = (call: RouteCall<{ id: string }, unknown, unknown>, step: () => Promise<void>) =>
    stepFromPage(call, step, `/full-recording/${call.params.id}`, (refusal) => showApplication(call, refusal));
  const showApplicationForm = async (call: RouteCall<unknown, unknown, unknown>, values?: Record<string, unknown>, error?: ApiError) => {
    const mine = await listExtensions(call);
    const open = await listApplications(call);
    const taken = new Set(open.filter((item) => ['under_review', 'approved', 'active'].includes(item.status)).flatMap((item) => item.extensions));
    sendPage(
      call.res,
      applicationFormPage(frame(call.res, '/full-recording'), {
        extensions: mine.map((extension) => ({ number: extension.number, owner: extension.owner, available: !taken.has(extension.number) })),
        evidenceLimits: deps.attachments,
        values: values,
        error: error?.message,
        today: deps.calendar.localDate(new Date()),
      }),
      error?.status ?? 200,
    );
  };

  /** The application form's fields checked as the API checks them; a mistake or a refusal comes back on the form. */
  const withApplicationForm = async (call: RouteCall<unknown, unknown, z.output<typeof applicationForm>>, use: (body: ApplicationBody) => Promise<void>) => {
    try {
      const { body, error } = parseApplicationForm(call.body);
      if (!body) throw new ApiError(400, 'INVALID_INPUT', error ?? '입력을 확인하십시오.');
      await use(body);
    } catch (error) {
      await refusedOnPage(call, error, (refusal) => {
        // A browser cannot put chosen files back into a form: say so rather than let them vanish.
        const again = call.files.length > 0 ? ' 첨부했던 증빙자료는 다시 골라 주십시오.' : '';
        return showApplicationForm(call, call.body, again ? new ApiError(refusal.status, refusal.code, `${refusal.message}${again}`) : refusal);
      });
    }
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/extensions',
      kind: 'api',
      access: APPLICATION_READERS,
      ownership: ownDepartmentList,
      response: z.array(extensionView),
      summary: '내선과 현재 녹취 방식 (전수 녹취는 시작 시각과 함께)',
      async handle(call) {
        call.res.json(await listExtensions(call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/full-recording-applications',
      kind: 'api',
      access: APPLICANTS,
      ownership: ownDepartmentList,
      body: applicationBody,
      response: applicationView,
      summary: '전수 녹취 사용 신청 (운영 규정 제6조): 사용부서의 장이 소속 부서 내선에 대해',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await applyForFullRecording(fullRecordingDeps, call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/full-recording-applications',
      kind: 'api',
      access: APPLICATION_READERS,
      ownership: ownDepartmentList,
      response: z.array(applicationView),
      summary: '전수 녹취 신청 목록 (사용부서의 장은 소속 부서의 것만)',
      async handle(call) {
        call.res.json(await listApplications(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/full-recording-applications/:id',
      kind: 'api',
      access: APPLICATION_READERS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      response: applicationDetail,
      summary: '전수 녹취 신청 한 건: 결재 단계, 장치 적용 여부, 처리 이력 (누가, 언제, 왜)',
      async handle(call) {
        call.res.json(await readApplication(fullRecordingDeps, call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/full-recording-applications/:id/sign-off',
      kind: 'api',
      access: SIGNERS,
      params: applicationIdParams,
      body: signOffBody,
      summary: '검토·승인 또는 반려 (결재선 순서대로, 자기 신청·두 단계 겸임 불가)',
      example: { body: { decision: 'approve', comment: '검토 완료' } },
      async handle(call) {
        await signOffApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/full-recording-applications/:id/revoke',
      kind: 'api',
      access: REVOKERS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      body: revokeBody,
      summary: '신청 철회 또는 전수 녹취 취소 (신청 부서의 장 또는 과장, 사유 필수): 선택적 녹취로 돌아감',
      example: { body: { reason: '민원이 해소됨' } },
      async handle(call) {
        await revokeApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/full-recording-applications/:id/renew',
      kind: 'api',
      access: APPLICANTS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '취소할 때까지의 전수 녹취를 한 해 더 (연장 검토)',
      async handle(call) {
        await renewApplication(fullRecordingDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/full-recording-applications/:id/evidence',
      kind: 'api',
      access: APPLICANTS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      upload: evidenceUpload,
      response: z.array(attachmentView),
      summary: '증빙자료 추가 (검토 중인 신청, 신청 부서의 장): PDF·JPEG·PNG, 내용으로 형식 확인; 답은 증빙자료 전체 목록',
      async handle(call) {
        call.res.status(201).json(await addEvidence(fullRecordingDeps, call));
      },
    }),
    defineRoute<z.output<typeof attachmentParams>>({
      method: 'get',
      path: '/api/full-recording-applications/:id/evidence/:attachmentId',
      kind: 'api',
      access: APPLICATION_READERS,
      ownership: ownDepartmentApplication,
      params: attachmentParams,
      summary: '증빙자료 내려받기 (첨부파일로만, 내려받기마다 감사 기록)',
      async handle(call) {
        const { row, content } = await evidenceFile(fullRecordingDeps, call);
        sendAttachment(call.res, row, content);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/full-recording',
      kind: 'page',
      access: APPLICATION_READERS,
      ownership: ownDepartmentList,
      summary: '전수 녹취: 신청 목록, 내 결재 대기, 내선별 녹취 방식',
      async handle(call) {
        const principal = call.principal as Principal;
        const items = await listApplications(call);
        // The same inbox as the dashboard's card.
        const scope = call.scope === 'everything' ? 'everything' : 'ownDepartment';
        const inbox = (await readFullRecordingOverview(fullRecordingDeps, call.em, principal, scope)).awaitingMe;
        const extensions = await listExtensions(call);
        sendPage(
          call.res,
          fullRecordingListPage(
            frame(call.res, '/full-recording'),
            { items, inbox, extensions, canApply: decide(APPLICANTS, principal).allowed },
            deps.timeZone,
          ),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/full-recording/new',
      kind: 'page',
      access: APPLICANTS,
      ownership: ownDepartmentList,
      summary: '전수 녹취 신청서 작성',
      async handle(call) {
        await showApplicationForm(call);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording',
      kind: 'page',
      access: APPLICANTS,
      ownership: ownDepartmentList,
      body: applicationForm,
      upload: evidenceUpload,
      summary: '전수 녹취 신청 (화면)',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        await withApplicationForm(call, async (body) => {
          const created = await applyForFullRecording(fullRecordingDeps, { ...call, body });
          call.res.redirect(303, `/full-recording/${created.id}`);
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording/preview',
      kind: 'page',
      access: APPLICANTS,
      ownership: ownDepartmentList,
      body: applicationForm,
      upload: evidenceUpload,
      summary: '전수 녹취 신청서 미리보기 (DOCX, 접수하지 않음)',
      example: { body: APPLICATION_EXAMPLE },
      async handle(call) {
        await withApplicationForm(call, async (body) => {
          const docx = await previewApplicationDocument(fullRecordingDeps, { ...call, body });
          call.res.type(DOCX_TYPE).attachment('full-recording-application-preview.docx').send(docx);
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/full-recording/:id',
      kind: 'page',
      access: APPLICATION_READERS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '전수 녹취 신청 한 건 (결재, 취소, 연장)',
      async handle(call) {
        await showApplication(call);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/full-recording/:id/document',
      kind: 'page',
      access: APPLICATION_READERS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '전수 녹취 사용 신청서 (DOCX)',
      async handle(call) {
        const { name, docx } = await applicationDocument(fullRecordingDeps, call);
        call.res.type(DOCX_TYPE).attachment(name).send(docx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording/:id/sign-off',
      kind: 'page',
      access: SIGNERS,
      params: applicationIdParams,
      body: signOffForm,
      summary: '검토·승인 또는 반려 (화면)',
      example: { body: { decision: 'approve', comment: '검토 완료' } },
      async handle(call) {
        await fromPage(call, async () => {
          const parsed = signOffBody.safeParse(call.body);
          if (!parsed.success) throw new ApiError(400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? '입력을 확인하십시오');
          await signOffApplication(fullRecordingDeps, { ...call, body: parsed.data });
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording/:id/revoke',
      kind: 'page',
      access: REVOKERS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      body: revokeForm,
      summary: '신청 철회 또는 전수 녹취 취소 (화면)',
      example: { body: { reason: '민원이 해소됨' } },
      async handle(call) {
        await fromPage(call, async () => {
          const parsed = revokeBody.safeParse(call.body);
          if (!parsed.success) throw new ApiError(400, 'INVALID_INPUT', parsed.error.issues[0]?.message ?? '입력을 확인하십시오');
          await revokeApplication(fullRecordingDeps, { ...call, body: parsed.data });
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording/:id/evidence',
      kind: 'page',
      access: APPLICANTS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      upload: evidenceUpload,
      summary: '증빙자료 추가 (화면, 검토 중인 신청)',
      async handle(call) {
        await fromPage(call, async () => {
          await addEvidence(fullRecordingDeps, call);
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/full-recording/:id/renew',
      kind: 'page',
      access: APPLICANTS,
      ownership: ownDepartmentApplication,
      params: applicationIdParams,
      summary: '한 해 더 전수 녹취 (화면)',
      async handle(call) {
        await fromPage(call, () => renewApplication(fullRecordingDeps, call));
      },
    }),
  ];
}
