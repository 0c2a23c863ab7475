/**
 * Recordings (Art. 8): the search and a recording's detail, for the managing department and for the parties to a
 * call; the party's own export (R5); the chief's holds (issue 6).
 */
import { z } from 'zod';
import { Recording } from '../../infra/db/entities';
import { decide, type Principal } from '../access';
import { ApiError, notFound } from '../errors';
import { decideHold, holdDecision, holdDocument, holdRelease, holdView, openHolds, recordingDetail, releaseHold } from '../holds';
import { sendAttachment } from '../attachments';
import type { UploadRule } from '../uploads';
import { exportOwnRecording, partyExportBody, partyExportForm, sendExport } from '../party-export';
import { HOLD_DOCUMENT_READERS, HOLD_SETTERS, PARTY_ONLY, RECORDING_READERS } from '../policy';
import {
  isPartyToRecording,
  recordingIdParams,
  recordingSearchQuery,
  recordingSearchResult,
  searchAuditDetail,
  searchRecordings,
  toSummary,
} from '../recording-search';
import { defineRoute, validate, type RouteCall, type RouteSpec } from '../routes';
import { recordingPage, recordingsPage } from '../ui/recording-pages';
import type { RouteDeps } from './deps';
import { framer, refusedOnPage, sendPage, stepFromPage } from './page';

const holdParams = z.object({ id: z.uuid(), holdId: z.uuid() }).strict();
const HOLD_EXAMPLE = { reason: '수사기관의 녹취 보전 요청', legalBasis: '형사소송법 제106조', endsOn: '2099-01-31', reviewer: 'park.deputy' };
const partyToRecording = {
  description: '본인이 당사자(통화한 내선의 공무원)인 녹취만',
  appliesAs: 'check' as const,
  isParty: (em: Parameters<typeof isPartyToRecording>[0], principal: Principal, params: { id: string }) => isPartyToRecording(em, principal, params.id),
};
const partyCallsOnly = { description: '본인이 당사자인 통화만 검색됨', appliesAs: 'filter' as const };
const EXPORT_EXAMPLE = { password: 'Gwangmyeong-2026!', reason: '민원 처리 경위 확인을 위해 업무용 PC에 보관' };

export function recordingRoutes(deps: RouteDeps): RouteSpec[] {
  const frame = framer(deps);
  const searchOptions = { calendar: deps.calendar, defaultRangeDays: deps.searchRangeDays };
  const exportDeps = {
    capture: deps.capture,
    grantSigningKey: deps.grantSigningKey,
    timeZone: deps.timeZone,
    exportPasswordMinLength: deps.exportPasswordMinLength,
  };

  const search = async (call: RouteCall<unknown, z.output<typeof recordingSearchQuery>, unknown>) => {
    // Search grants are `everything` or `ownCalls`; anything narrower than everything is held to the caller's own calls.
    const scope = call.scope === 'everything' ? 'everything' : 'ownCalls';
    const result = await searchRecordings(call.em, call.principal as Principal, scope, call.query, searchOptions);
    await call.audit({
      action: 'recording.search',
      targetType: 'recording',
      targetId: 'search',
      reason: '녹취정보 조회',
      detail: searchAuditDetail(call.query, result, call.scope),
    });
    return result;
  };

  const readRecording = async (call: RouteCall<{ id: string }, unknown, unknown>) => {
    const recording = await call.em.findOne(Recording, call.params.id, { populate: ['extension', 'extension.department'] });
    if (!recording) throw notFound();
    await call.audit({
      action: 'recording.read',
      targetType: 'recording',
      targetId: recording.id,
      reason: '녹취정보 상세 조회',
      detail: { scope: call.scope },
    });
    return { ...toSummary(recording), holds: await openHolds(call.em, recording.id) };
  };

  const releaseOne = async (call: RouteCall<{ id: string; holdId: string }, unknown, { reason: string }>) => {
    const dueAgain = await releaseHold(call.em, call);
    if (dueAgain) await deps.afterHoldReleased?.(dueAgain);
  };
  const holdDeps = { calendar: deps.calendar, directory: deps.directory, documents: deps.documents, holdMaxPeriod: deps.holdMaxPeriod };
  /** The requesting document of a hold decision: one PDF or image. */
  const basisUpload: UploadRule = { field: 'basisDocument', maxFiles: 1, maxFileBytes: deps.attachments.maxFileBytes };

  /** The detail page; a party also gets the export form (R5), usable while the recording is kept. */
  const showRecording = async (
    call: RouteCall<{ id: string }, unknown, unknown>,
    exportForm: { error?: string; reason?: string } = {},
    status = 200,
    holdError?: string,
  ) => {
    const item = await readRecording(call);
    const party = await isPartyToRecording(call.em, call.principal as Principal, call.params.id);
    const available = item.deletedAt === null && new Date(item.retentionDueAt) > new Date();
    const form = party ? { available, minLength: deps.exportPasswordMinLength, ...exportForm } : undefined;
    const canHold = decide(HOLD_SETTERS, call.principal).allowed;
    sendPage(call.res, recordingPage(frame(call.res, '/recordings'), item, deps.timeZone, form, canHold, holdError), status);
  };

  return [
    defineRoute({
      method: 'get',
      path: '/api/recordings',
      kind: 'api',
      access: RECORDING_READERS,
      ownership: partyCallsOnly,
      query: recordingSearchQuery,
      response: recordingSearchResult,
      summary: '녹취정보 검색 (통화 기록만, 음성 없음)',
      async handle(call) {
        call.res.json(await search(call));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/recordings/:id',
      kind: 'api',
      access: RECORDING_READERS,
      ownership: partyToRecording,
      params: recordingIdParams,
      response: recordingDetail,
      summary: '녹취정보 한 건 (통화 기록과 보존 중지, 음성 없음)',
      async handle(call) {
        call.res.json(await readRecording(call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/recordings/:id/export',
      kind: 'api',
      access: PARTY_ONLY,
      ownership: partyToRecording,
      params: recordingIdParams,
      body: partyExportBody,
      releasesAudio: 'party-export',
      summary:
        '본인 녹취 내보내기 (운영 규정 제8조제1항): 당사자만, 보존기간 안에, AES-256 암호 ZIP(WAV)으로만. 사유는 감사 기록에 남고 비밀번호는 저장되지 않음',
      example: { body: EXPORT_EXAMPLE },
      async handle(call) {
        sendExport(call.res, await exportOwnRecording(exportDeps, call, call.body));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/recordings/:id/holds',
      kind: 'api',
      access: HOLD_SETTERS,
      params: recordingIdParams,
      body: holdDecision,
      upload: basisUpload,
      response: holdView,
      summary:
        '보존 중지 결정 (과장): 사유, 근거 법령·조항, 요청 문서(basisDocument: PDF·JPEG·PNG), 끝나는 날(HOLD_MAX_PERIOD 안), 검토자(부책임자·감사). 끝나는 날이 지나면 스스로 풀림',
      example: { body: HOLD_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await decideHold(holdDeps, call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/recordings/:id/holds/:holdId/extend',
      kind: 'api',
      access: HOLD_SETTERS,
      params: holdParams,
      body: holdDecision,
      upload: basisUpload,
      response: holdView,
      summary: '보존 중지 연장 (과장): 새 근거와 요청 문서로 새로 결정하며, 이전 결정은 이 결정으로 대체됨',
      example: { params: { holdId: '00000000-0000-4000-8000-000000000000' }, body: HOLD_EXAMPLE },
      async handle(call) {
        call.res.status(201).json(await decideHold(holdDeps, call));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/recordings/:id/holds/:holdId/release',
      kind: 'api',
      access: HOLD_SETTERS,
      params: holdParams,
      body: holdRelease,
      summary: '보존 중지 해제 (과장, 사유 필수): 보존기간이 지났으면 곧 삭제됨. 열람·제공 신청이 건 보존 중지는 신청이 끝날 때만 풀림 (409)',
      example: { params: { holdId: '00000000-0000-4000-8000-000000000000' }, body: { reason: '소송 종결' } },
      async handle(call) {
        await releaseOne(call);
        call.res.json({ released: call.params.holdId });
      },
    }),
    defineRoute<z.output<typeof holdParams>>({
      method: 'get',
      path: '/api/recordings/:id/holds/:holdId/document',
      kind: 'api',
      access: HOLD_DOCUMENT_READERS,
      params: holdParams,
      summary: '보존 중지 요청 문서 내려받기 (첨부파일로만, 감사 기록)',
      async handle(call) {
        const { row, content } = await holdDocument(holdDeps, call);
        sendAttachment(call.res, row, content);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/recordings',
      kind: 'page',
      access: RECORDING_READERS,
      ownership: partyCallsOnly,
      query: recordingSearchQuery,
      summary: '녹취정보 조회 화면',
      async handle(call) {
        const result = await search(call);
        sendPage(call.res, recordingsPage(frame(call.res, '/recordings'), call.query, result, undefined, deps.timeZone));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/recordings/:id',
      kind: 'page',
      access: RECORDING_READERS,
      ownership: partyToRecording,
      params: recordingIdParams,
      summary: '녹취정보 상세 화면',
      async handle(call) {
        await showRecording(call);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/recordings/:id/holds',
      kind: 'page',
      access: HOLD_SETTERS,
      params: recordingIdParams,
      body: holdDecision,
      upload: basisUpload,
      summary: '보존 중지 결정 (화면)',
      example: { body: HOLD_EXAMPLE },
      async handle(call) {
        await stepFromPage(
          call,
          () => decideHold(holdDeps, call),
          `/recordings/${call.params.id}`,
          (refusal) => showRecording(call, {}, refusal.status, refusal.message),
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/recordings/:id/holds/:holdId/release',
      kind: 'page',
      access: HOLD_SETTERS,
      params: holdParams,
      body: holdRelease,
      summary: '보존 중지 해제 (화면)',
      example: { params: { holdId: '00000000-0000-4000-8000-000000000000' }, body: { reason: '소송 종결' } },
      async handle(call) {
        await stepFromPage(
          call,
          () => releaseOne(call),
          `/recordings/${call.params.id}`,
          (refusal) => showRecording(call, {}, refusal.status, refusal.message),
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/recordings/:id/export',
      kind: 'page',
      access: PARTY_ONLY,
      ownership: partyToRecording,
      params: recordingIdParams,
      body: partyExportForm,
      releasesAudio: 'party-export',
      summary: '본인 녹취 내보내기 (화면): 암호 ZIP을 내려받거나, 고칠 점을 상세 화면에 보여 줌',
      example: { body: { ...EXPORT_EXAMPLE, passwordConfirm: EXPORT_EXAMPLE.password } },
      async handle(call) {
        try {
          if (call.body.password !== call.body.passwordConfirm) {
            throw new ApiError(400, 'INVALID_INPUT', '두 번 입력한 비밀번호가 서로 다릅니다.');
          }
          const request = validate(partyExportBody, { password: call.body.password, reason: call.body.reason }, 'body');
          sendExport(call.res, await exportOwnRecording(exportDeps, call, request));
        } catch (error) {
          // Errors the API names, 5xx included (the appliance not answering), are shown beside the form.
          await refusedOnPage(call, error, (refusal) => showRecording(call, { error: refusal.message, reason: call.body.reason }, refusal.status), {
            unavailable: true,
          });
        }
      },
    }),
  ];
}
