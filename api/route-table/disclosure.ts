/**
 * Disclosure (Art. 9, Forms 1–3): the managing department registers a request, confirms its recordings, signs it off,
 * takes the signed handover, builds the package or opens the viewing, and takes the returned destruction report; the
 * package's public key and its verification. The API here, the pages in disclosure-pages.ts; a party's own requests
 * are in own-requests.ts.
 */
import { z } from 'zod';
import { attachmentView, sendAttachment } from '../attachments';
import {
  addRequestAttachments,
  confirmRecordings,
  recordDestructionReport,
  recordHandover,
  requestAttachment,
  requestDocument,
  signOffRequest,
  submitRequest,
  withdrawRequest,
} from '../disclosure-steps';
import {
  attachmentFields,
  confirmBody,
  destructionReportBody,
  disclosureSignOffBody,
  handoverBody,
  registrationBody,
  requestDetail,
  requestIdParams,
  requestView,
  withdrawBody,
} from '../disclosure-schemas';
import {
  buildPackage,
  packageFile,
  packagePublicKey,
  packageResult,
  playParams,
  verificationLimit,
  verifyFields,
  verifyUploadedPackage,
  viewingAudio,
} from '../disclosure-package';
import { listRequests, proposeMatches, readRequest, registerRequest, type DisclosureDeps } from '../disclosure';
import { DISCLOSURE_HANDLERS, DISCLOSURE_OPERATOR, DISCLOSURE_READERS, DISCLOSURE_SIGNERS, DISCLOSURE_WITHDRAWERS } from '../policy';
import { defineRoute, type RouteSpec } from '../routes';
import type { UploadRule } from '../uploads';
import type { RouteDeps, SiteFacts } from './deps';
import { DOCX_TYPE } from './page';

/** Room for the drawn signature (a PNG of at most 200 KB as base64) next to the other fields. */
export const HANDOVER_BODY_LIMIT = '320kb';
/** A package brought back to be checked goes to a temporary file, never into memory: an hour of a call is about 115 MB as PCM WAV. */
const PACKAGE_MAX_BYTES = 256 * 1024 * 1024;
const requestAttachmentParams = z.object({ id: z.uuid(), attachmentId: z.uuid() }).strict();
const requestDocumentParams = z.object({ id: z.uuid(), documentId: z.uuid() }).strict();
export const DISCLOSURE_EXAMPLE = {
  kind: 'provision',
  applicantName: '홍길동',
  applicantBirthDateOrBusinessNumber: '1980-01-01',
  applicantAddress: '경기도 광명시 철산로 123',
  applicantContact: '010-1234-5678',
  applicantEmail: 'hong@example.test',
  recordingFrom: '2026-11-27T13:00:00+09:00',
  recordingTo: '2026-11-27T15:00:00+09:00',
  phoneNumber: '010-5555-1234',
  purpose: '민원 분쟁 증빙',
  relationToParty: '통화 당사자 본인',
  reason: '통화 내용 확인이 필요합니다.',
  ground: 'party',
  groundDetail: '신분증으로 본인 확인',
};

/** What the disclosure procedure needs of the system (also read by a party's own requests and the dashboard's card). */
export function disclosureDepsOf(deps: SiteFacts): DisclosureDeps {
  return {
    ...deps.disclosure,
    workflows: deps.disclosureWorkflows,
    capture: deps.capture,
    grantSigningKey: deps.grantSigningKey,
    documents: deps.documents,
    timeZone: deps.timeZone,
    maxAttachments: deps.attachments.maxFiles,
    reminderWorkingDays: deps.approvalReminderWorkingDays,
  };
}

export function disclosureRoutes(deps: RouteDeps): RouteSpec[] {
  const disclosureDeps = disclosureDepsOf(deps);
  /** Scans of a disclosure case (its ground, the signed Form 2, the returned Form 3), one purpose per request. */
  const disclosureUpload: UploadRule = { field: 'files', ...deps.attachments };
  const verifyLimit = verificationLimit();

  return [
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      body: registrationBody,
      response: requestView,
      summary: '녹취정보 (열람, 제공) 신청서 접수 (제9조, 별지 제1호서식): 관리번호 YYYY-NNNN을 붙이고 업무 흐름을 시작',
      example: { body: DISCLOSURE_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await registerRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/disclosure-requests',
      kind: 'api',
      access: DISCLOSURE_READERS,
      response: z.array(requestView),
      summary: '녹취정보 열람·제공 신청 목록 (최근 500건)',
      async handle(call) {
        call.res.json(await listRequests(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/disclosure-requests/:id',
      kind: 'api',
      access: DISCLOSURE_READERS,
      params: requestIdParams,
      response: requestDetail,
      summary: '녹취정보 신청 한 건: 신청 내용, 확인된 녹취, 결재, 첨부·문서, 처리 이력 (조회는 감사 기록)',
      async handle(call) {
        call.res.json(await readRequest(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/disclosure-requests/:id/matches',
      kind: 'api',
      access: DISCLOSURE_HANDLERS,
      params: requestIdParams,
      summary: '신청의 녹취 일시·번호에 맞는 녹취 (삭제된 것은 삭제 일시와 함께)',
      async handle(call) {
        call.res.json(await proposeMatches(call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/recordings',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: confirmBody,
      summary: '신청에 해당하는 녹취 확인 (접수 단계; 확인한 녹취는 곧바로 보존 중지)',
      example: { body: { recordingIds: [] } },
      async handle(call) {
        await confirmRecordings(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/submit',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      summary: '결재 상신 (녹취와 제9조제1항의 근거가 갖추어져야 함; 아니면 이유와 함께 거부)',
      async handle(call) {
        await submitRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/sign-off',
      kind: 'api',
      access: DISCLOSURE_SIGNERS,
      params: requestIdParams,
      body: disclosureSignOffBody,
      summary: '결재 (담당자 → 팀장 → 과장, 설정의 순서대로; 반려하면 거부 통지서를 만들고 종결)',
      example: { body: { decision: 'approve', comment: '확인' } },
      async handle(call) {
        await signOffRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/withdraw',
      kind: 'api',
      access: DISCLOSURE_WITHDRAWERS,
      params: requestIdParams,
      body: withdrawBody,
      summary: '신청인의 철회 (녹취정보를 내주기 전까지)',
      example: { body: { reason: '신청인이 철회함' } },
      async handle(call) {
        await withdrawRequest(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/attachments',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: attachmentFields,
      upload: disclosureUpload,
      response: z.array(attachmentView),
      summary: '첨부 (multipart, 항목 purpose와 files): 근거 서류, 서명된 인수·인계증, 회신받은 파기 결과 회신서 — PDF·JPEG·PNG',
      example: { body: { purpose: 'ground_document' } },
      async handle(call) {
        call.res.status(201).json(await addRequestAttachments(disclosureDeps, call));
      },
    }),
    defineRoute<z.output<typeof requestAttachmentParams>>({
      method: 'get',
      path: '/api/disclosure-requests/:id/attachments/:attachmentId',
      kind: 'api',
      access: DISCLOSURE_HANDLERS,
      params: requestAttachmentParams,
      summary: '첨부파일 내려받기 (첨부파일로만, 감사 기록)',
      async handle(call) {
        const { row, content } = await requestAttachment(disclosureDeps, call);
        sendAttachment(call.res, row, content);
      },
    }),
    defineRoute<z.output<typeof requestDocumentParams>>({
      method: 'get',
      path: '/api/disclosure-requests/:id/documents/:documentId',
      kind: 'api',
      access: DISCLOSURE_HANDLERS,
      params: requestDocumentParams,
      summary: '신청의 문서 (인수·인계증, 빈 파기 결과 회신서, 거부 통지서) DOCX',
      async handle(call) {
        const { name, docx } = await requestDocument(disclosureDeps, call);
        call.res.type(DOCX_TYPE).attachment(name).set('Cache-Control', 'no-store').send(docx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/handover',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: handoverBody,
      bodyLimit: HANDOVER_BODY_LIMIT,
      summary:
        '인수자가 서명한 인수·인계증(별지 제2호서식) 접수 — 화면 서명(on_screen: 서명을 서식에 넣어 보관) 또는 종이 서명 스캔(paper_scan): 이때부터 열람·제공, 제공이면 이 수령일부터 파기 회신 기한',
      example: {
        body: {
          signatureKind: 'paper_scan',
          attachmentId: '00000000-0000-4000-8000-000000000000',
          recipientName: '홍길동',
          receivedAt: '2026-11-27T10:00:00+09:00',
        },
      },
      async handle(call) {
        await recordHandover(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/package',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      response: packageResult,
      summary: '제공 파일 작성: 확인된 녹취(WAV)와 서명된 목록, 빈 파기 결과 회신서를 AES-256 ZIP으로. 비밀번호는 이 응답에서 한 번만',
      async handle(call) {
        call.res
          .set('Cache-Control', 'no-store')
          .status(201)
          .json(await buildPackage(disclosureDeps, call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/disclosure-requests/:id/package',
      kind: 'api',
      access: DISCLOSURE_HANDLERS,
      params: requestIdParams,
      releasesAudio: 'disclosure',
      summary: '제공 파일 내려받기 (비밀번호로 암호화한 ZIP, 감사 기록). 다 내려받으면 파기되어 다시 받을 수 없음 (410)',
      async handle(call) {
        const { row, zip, afterSent } = await packageFile(disclosureDeps, call);
        call.res.once('finish', () => {
          afterSent().catch((error: unknown) =>
            deps.logger.error('provision package not destroyed after its download; the hourly sweep destroys it by its deadline', {
              requestId: call.params.id,
              error,
            }),
          );
        });
        call.res.type('application/zip').attachment(row.fileName).set('Cache-Control', 'no-store').send(zip);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-requests/:id/destruction-report',
      kind: 'api',
      access: DISCLOSURE_OPERATOR,
      params: requestIdParams,
      body: destructionReportBody,
      summary: '회신받은 파기 결과 회신서 접수: 종결, 보존 중지 해제',
      example: {
        body: {
          attachmentId: '00000000-0000-4000-8000-000000000000',
          destroyedAt: '2026-11-27T10:00:00+09:00',
          method: 'delete_overwrite',
          allCopiesDestroyed: true,
        },
      },
      async handle(call) {
        await recordDestructionReport(disclosureDeps, call);
        call.res.status(202).json({ accepted: true });
      },
    }),
    defineRoute<z.output<typeof playParams>>({
      method: 'get',
      path: '/api/disclosure-requests/:id/recordings/:recordingId/audio',
      kind: 'api',
      access: DISCLOSURE_HANDLERS,
      params: playParams,
      releasesAudio: 'disclosure',
      summary: '열람 (관리부서에서, 열람 시간 안에만): 확인된 녹취를 재생용으로 (저장·캐시 금지, 재생마다 감사 기록)',
      async handle(call) {
        const wav = await viewingAudio(disclosureDeps, call);
        call.res.on('close', () => wav.fill(0));
        call.res.status(200).type('audio/wav').set({ 'Cache-Control': 'no-store', 'Content-Disposition': 'inline' }).send(wav);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/disclosure-packages/public-key',
      kind: 'api',
      access: 'public',
      summary: '제공 파일의 서명을 확인할 공개키 (PEM)와 그 지문 — 신청인·법원 등이 검증에 씀',
      async handle(call) {
        call.res.json(await packagePublicKey(disclosureDeps));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/disclosure-packages/verify',
      kind: 'api',
      access: DISCLOSURE_READERS,
      body: verifyFields,
      uploadToFile: { field: 'package', maxFileBytes: PACKAGE_MAX_BYTES, accept: ['application/zip'], label: '제공 파일' },
      concurrency: verifyLimit,
      summary: '제공 파일 검증 (multipart: package, password): 서명, 파일마다 SHA-256, 빠지거나 더해진 파일 — 결과는 감사 기록',
      example: { body: { password: 'not-the-password' } },
      async handle(call) {
        call.res.json(await verifyUploadedPackage(disclosureDeps, call));
      },
    }),
  ];
}
