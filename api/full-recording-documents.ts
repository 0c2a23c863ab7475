/**
 * 전수 녹취 신청 (Art. 6): the files of an application — 증빙자료 added while it is reviewed, and the application form
 * as DOCX (filed, or previewed before filing). Apart from the steps because these touch the document store and the
 * city's template, not the workflow.
 */
import type { EntityManager } from '@mikro-orm/core';
import { Department, FullRecordingApplication } from '../infra/db/entities';
import { formatKoreanLocalDate } from '../domain/korean-time';
import { mark, municipality, renderForm } from '../templates/documents';
import { type Principal } from './access';
import { ApiError, notFound } from './errors';
import { auditIdentityOf, type RouteCall } from './routes';
import { addAttachments, listAttachments, readAttachment, withSealedFiles, type AttachmentView } from './attachments';
import { formatFileSize, type UploadedFile } from './uploads';
import {
  type ApplicationBody,
  type ApplicationView,
  checkApplication,
  evidenceOf,
  type FullRecordingDeps,
  loadApplication,
  storedPeriod,
  toApplicationView,
} from './full-recording';

/**
 * 증빙자료 added after filing, while the managing department is still reviewing (after a decision the application is
 * what was decided on). The department's head only, as for filing.
 */
export async function addEvidence(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<AttachmentView[]> {
  if (call.files.length === 0) throw new ApiError(400, 'INVALID_INPUT', '첨부할 파일을 고르십시오.');
  await withSealedFiles(deps.documents, call.files, (evidence) =>
    call.em.fork().transactional(async (tx) => {
      const application = await tx.findOne(FullRecordingApplication, call.params.id);
      if (!application) throw notFound();
      if (application.status !== 'under_review') {
        throw new ApiError(409, 'ACTION_REFUSED', '검토 중인 신청에만 증빙자료를 더할 수 있습니다.', { status: application.status });
      }
      await addAttachments(tx, evidenceOf(application.id), evidence, { maxFiles: deps.maxEvidenceFiles, audit: auditIdentityOf(call) });
    }),
  );
  return listAttachments(call.em.fork(), 'full_recording_application', call.params.id);
}

/** One evidence file of an application, for those who may read the application. */
export async function evidenceFile(deps: FullRecordingDeps, call: RouteCall<{ id: string; attachmentId: string }, unknown, unknown>) {
  return readAttachment(call.em, deps.documents, { ownerType: 'full_recording_application', ownerId: call.params.id }, call.params.attachmentId, call.audit);
}

/**
 * 전수 녹취 사용 신청서 as DOCX: the city's template (or the built-in one) filled from an application. The evidence is
 * listed by the names the applicant gave the files (text in the form, never a file name anything opens), so the
 * preview, made before the system has named them, lists them as the filed form does.
 */
async function renderApplication(
  deps: FullRecordingDeps,
  em: EntityManager,
  view: ApplicationView,
  evidence: readonly Pick<AttachmentView, 'originalName' | 'sizeBytes'>[],
): Promise<Buffer> {
  const [applicant, managing] = await Promise.all([
    deps.directory.findUser(view.applicant).catch(() => undefined),
    em.findOne(Department, { isManagingDepartment: true }),
  ]);
  const day = (iso: string) => formatKoreanLocalDate(deps.calendar.localDate(new Date(iso)));
  const lastDay = view.periodTo ? day(new Date(Date.parse(view.periodTo) - 1).toISOString()) : undefined;
  const name = applicant?.displayName ?? view.applicant;
  return renderForm(
    'full-recording-application',
    {
      ...municipality(deps.municipalityName),
      managingDepartmentName: managing?.name ?? '',
      departmentName: view.department.name,
      applicantName: name,
      applicantTitleAndName: `${view.department.name}장 ${name}`,
      extensions: view.extensions.join(', '),
      groundInterest: mark(view.ground === 'interest_related_complaints'),
      groundMalicious: mark(view.ground === 'malicious_complaints'),
      groundOther: mark(view.ground === 'other'),
      reason: view.reason,
      period: lastDay ? `${day(view.periodFrom)} ~ ${lastDay}` : `${day(view.periodFrom)}부터 취소할 때까지 (매년 연장 검토)`,
      noticeMethod: `통화 연결 시 안내 방송 ("${deps.announcementText}")`,
      evidence:
        evidence.length === 0 ? '없음' : evidence.map((file, index) => `${index + 1}. ${file.originalName} (${formatFileSize(file.sizeBytes)})`).join('\n'),
      applicationDate: day(view.createdAt),
    },
    { templatesDir: deps.templatesDir },
  );
}

/** The application as filed, for the city's electronic document system. */
export async function applicationDocument(deps: FullRecordingDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<{ name: string; docx: Buffer }> {
  const application = await loadApplication(call);
  const evidence = await listAttachments(call.em, 'full_recording_application', application.id);
  const docx = await renderApplication(deps, call.em, toApplicationView(application), evidence);
  await call.audit({
    action: 'full_recording.document',
    targetType: 'full_recording_application',
    targetId: application.id,
    reason: '전수 녹취 신청서 내려받기',
  });
  return { name: `full-recording-application_${application.id}.docx`, docx };
}

/** The document the form would file, before filing: checked as filing is, nothing written. */
export async function previewApplicationDocument(deps: FullRecordingDeps, call: RouteCall<unknown, unknown, ApplicationBody>): Promise<Buffer> {
  const principal = call.principal as Principal;
  const { department } = await checkApplication(deps, call.em, principal, call.body);
  const period = storedPeriod(deps, call.body);
  return renderApplication(
    deps,
    call.em,
    {
      id: '',
      department: { code: department.code, name: department.name },
      applicant: principal.username,
      extensions: [...call.body.extensions].sort(),
      ground: call.body.ground,
      reason: call.body.reason,
      periodFrom: period.from.toISOString(),
      periodTo: period.to?.toISOString() ?? null,
      status: 'under_review',
      appliedAt: null,
      endedAt: null,
      createdAt: new Date().toISOString(),
    },
    call.files.map((file: UploadedFile) => ({ originalName: file.fileName, sizeBytes: file.content.length })),
  );
}
