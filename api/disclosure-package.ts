/**
 * 녹취정보 제공·열람 (Art. 9): the provision package — built by the capture appliance, kept sealed and given out only
 * as the encrypted ZIP with its password shown once — the viewing's audio, and the package's public key and
 * verification. Apart from the steps because everything here touches the appliance and the recordings' audio.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { CaptureControlError } from '../capture/control-client';
import { appendAuditEvent } from '../infra/audit/audit-log';
import { Attachment, GeneratedDocument } from '../infra/db/entities';
import { verifyPackageFile } from '../capture/package-verify';
import { destroyAttachment } from '../infra/documents/file-destruction';
import { judgeDisclosureStep, playRefusal } from '../domain/disclosure-steps';
import { audioGrant } from './audio-grants';
import { stepUser, type Principal } from './access';
import { addAttachments, liveKey, withSealedFiles } from './attachments';
import { ConcurrencyLimit } from './concurrency-limit';
import { ApiError } from './errors';
import { auditIdentityOf, type RouteCall } from './routes';
import { PACKAGE, TARGET } from './disclosure-schemas';
import { type DisclosureDeps, gateway, loadRequest } from './disclosure';
import { takeStep } from './disclosure-steps';

/**
 * The password of a provision package: 16 characters from letters and digits that cannot be mistaken for one another
 * when read aloud or copied from the screen, always with upper case, lower case and a digit (~93 bits).
 */
export function packagePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789'];
  const all = sets.join('');
  for (;;) {
    const password = Array.from({ length: 16 }, () => all[randomInt(all.length)]).join('');
    if (sets.every((set) => [...password].some((character) => set.includes(character)))) return password;
  }
}

export const packageResult = z.object({
  password: z.string().describe('이 응답에서 한 번만 보입니다. 신청인에게 파일과 따로 알려 주십시오.'),
  packageSha256: z.string(),
  manifestSha256: z.string(),
  fileName: z.string(),
  download: z.string(),
});

/**
 * Builds the provision package once the signed Form 2 is in the case: the appliance seals the confirmed recordings
 * with the blank Form 3, the ZIP is kept sealed as the case's file, the workflow told (the Form 3 deadline is already
 * running from receipt), and the password answered here only.
 */
export async function buildPackage(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>): Promise<z.infer<typeof packageResult>> {
  const request = await loadRequest(call.em, call.params.id);
  const status = await gateway(deps).status(request.id);
  if (!status) throw new ApiError(409, 'ACTION_REFUSED', '이 신청의 업무 흐름을 찾을 수 없습니다. 관리부서의 장에게 문의하십시오.');
  // Asked before the appliance builds anything: a package the workflow would refuse is never made. The step itself is
  // still the workflow's to accept below.
  const verdict = judgeDisclosureStep(
    { ...status, kind: request.kind, provided: status.provided !== undefined },
    stepUser(call.principal as Principal),
    'package_provided',
  );
  if ('refusal' in verdict) throw new ApiError(409, 'ACTION_REFUSED', verdict.refusal, { action: 'package_provided' });
  const { actor } = verdict;
  const form3 = status.destructionReport
    ? await call.em.findOne(GeneratedDocument, { id: status.destructionReport.documentId }, { populate: ['wrappedKey'] })
    : null;
  if (!form3) throw new ApiError(409, 'ACTION_REFUSED', '파기 결과 회신서 서식이 아직 준비되지 않았습니다. 잠시 후 다시 시도하십시오.');
  const password = packagePassword();
  // The case's confirmed recordings under its 관리번호, once: what the workflow's verdict above allows.
  const grant = audioGrant(deps.grantSigningKey, {
    kind: 'provision',
    recordings: status.recordings,
    case: { type: 'disclosure-request', id: request.id, managementNumber: request.managementNumber },
    subject: actor.username,
  });
  let sealed;
  try {
    sealed = await deps.capture.buildDisclosurePackage(
      {
        managementNumber: request.managementNumber,
        recordingIds: status.recordings,
        password,
        onBehalfOf: actor.username,
        extraFiles: [{ name: `파기결과회신서_${request.managementNumber}.docx`, content: deps.documents.get(form3.id, form3.wrappedKey) }],
      },
      grant,
    );
  } catch (error) {
    if (error instanceof CaptureControlError) {
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치가 제공 파일을 만들지 못했습니다: ${error.message}`, { code: error.code });
    }
    throw error;
  }
  const fileName = `녹취정보제공_${request.managementNumber}.zip`;
  await withSealedFiles(deps.documents, [{ fileName, contentType: 'application/zip', content: sealed.zip }], (files) =>
    call.em.fork().transactional(async (tx) => {
      const rows = await addAttachments(tx, { ownerType: TARGET, ownerId: request.id, purpose: PACKAGE }, files, { maxFiles: 1, audit: auditIdentityOf(call) });
      // Audio on the clock (Art. 8(1)): the package lives until it is handed over, at the latest until the Form 3 deadline.
      for (const row of rows) row.destroyAt = new Date(status.destructionReport?.dueAt ?? Date.now());
      await appendAuditEvent(tx, {
        ...auditIdentityOf(call),
        action: 'disclosure.package_built',
        targetType: TARGET,
        targetId: request.id,
        reason: '제공 파일 작성',
        detail: {
          managementNumber: request.managementNumber,
          packageSha256: sealed.packageSha256,
          manifestSha256: sealed.manifestSha256,
          recordings: status.recordings,
        },
      });
      return rows;
    }),
  );
  await takeStep(deps, call, { action: 'package_provided', packageSha256: sealed.packageSha256 });
  return {
    password,
    packageSha256: sealed.packageSha256,
    manifestSha256: sealed.manifestSha256,
    fileName,
    download: `/api/disclosure-requests/${request.id}/package`,
  };
}

/**
 * The package as built, for the managing department to hand over (every download audited). Handing it over is what it
 * was kept for: once a download has been sent whole, the package is destroyed (`afterSent`), so the audio it holds
 * leaves the system only once; a download cut off before its end leaves it for another try until the Form 3 deadline.
 */
export async function packageFile(deps: DisclosureDeps, call: RouteCall<{ id: string }, unknown, unknown>) {
  const row = await call.em.findOne(Attachment, { ownerType: TARGET, ownerId: call.params.id, purpose: PACKAGE }, { populate: ['wrappedKey'] });
  if (!row) throw new ApiError(404, 'NOT_FOUND', '아직 만든 제공 파일이 없습니다.');
  const zip = deps.documents.get(row.id, liveKey(row));
  await call.audit({
    action: 'disclosure.package_downloaded',
    targetType: TARGET,
    targetId: call.params.id,
    reason: '제공 파일 내려받기',
    detail: { sha256: row.sha256 },
  });
  const identity = auditIdentityOf(call);
  const afterSent = () =>
    destroyAttachment(call.em, deps.documents, row.id, {
      reason: '인계(내려받기) 완료로 파기',
      by: { actor: identity.actor, role: identity.role, sourceAddress: identity.sourceAddress },
      detail: { requestId: identity.requestId },
    });
  return { row, zip, afterSent };
}

export const playParams = z.object({ id: z.uuid(), recordingId: z.uuid() }).strict();

/**
 * 열람: one approved recording played in the managing department while the viewing window is open — the case a
 * viewing, released (the signed Form 2 in), the recording one of its own. Each play is audited; the audio is sent
 * for playing only (no-store, inline) and its bytes wiped after.
 */
export async function viewingAudio(deps: DisclosureDeps, call: RouteCall<{ id: string; recordingId: string }, unknown, unknown>): Promise<Buffer> {
  const request = await loadRequest(call.em, call.params.id);
  const status = await gateway(deps).status(request.id);
  const refusal = playRefusal(
    { kind: request.kind, state: status?.state, viewingUntil: status?.viewingUntil, recordings: status?.recordings ?? [] },
    new Date(),
    deps.timeZone,
    call.params.recordingId,
  );
  if (refusal) throw new ApiError(409, 'ACTION_REFUSED', refusal, { state: status?.state, recordingId: call.params.recordingId });
  await call.audit({
    action: 'disclosure.recording_played',
    targetType: TARGET,
    targetId: request.id,
    reason: `녹취정보 열람 (${request.managementNumber})`,
    detail: { recordingId: call.params.recordingId, managementNumber: request.managementNumber, viewingUntil: status?.viewingUntil },
  });
  const username = (call.principal as Principal).username;
  // The case's recordings until its window closes: the appliance plays nothing of another case, nor after the window.
  const grant = audioGrant(deps.grantSigningKey, {
    kind: 'viewing',
    recordings: status?.recordings ?? [],
    case: { type: 'disclosure-request', id: request.id, managementNumber: request.managementNumber },
    subject: username,
    until: new Date(status?.viewingUntil as string),
  });
  try {
    const { wav } = await deps.capture.viewingAudio(call.params.recordingId, { managementNumber: request.managementNumber, onBehalfOf: username }, grant);
    return wav;
  } catch (error) {
    if (error instanceof CaptureControlError)
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치에서 음성을 받지 못했습니다: ${error.message}`, { code: error.code });
    throw error;
  }
}

export const verifyFields = z.object({ password: z.string().min(1, { message: '제공 파일의 비밀번호를 적으십시오' }).max(128) }).strict();

/** The system's public key, as the capture appliance signs with its private half (Art. 9 packages). */
export async function packagePublicKey(deps: Pick<DisclosureDeps, 'capture'>): Promise<{ pem: string; sha256: string }> {
  try {
    return await deps.capture.packagePublicKey();
  } catch (error) {
    if (error instanceof CaptureControlError)
      throw new ApiError(503, 'CAPTURE_UNAVAILABLE', `녹취 장치에서 공개키를 받지 못했습니다: ${error.message}`, { code: error.code });
    throw error;
  }
}

/**
 * Verification is open to auditors and takes a package of up to 256 MiB on disk and seconds of CPU: one at a time per
 * user and two at once in all, so that nobody can take the API's disk and processors with parallel uploads.
 */
export function verificationLimit(): ConcurrencyLimit {
  return new ConcurrencyLimit({ total: 2, perUser: 1 }, (reason) =>
    reason === 'user'
      ? new ApiError(429, 'VERIFY_BUSY', '검증 중인 제공 파일이 이미 있습니다. 그 결과를 받은 뒤 다시 보내십시오.', { limit: reason })
      : new ApiError(429, 'VERIFY_BUSY', '지금은 다른 제공 파일을 검증하고 있습니다 (동시에 2건까지). 잠시 뒤 다시 보내십시오.', { limit: reason }),
  );
}

/** Checks a package someone brings back (a court, the recipient) against the system's key; the result is audited. */
export async function verifyUploadedPackage(deps: DisclosureDeps, call: RouteCall<unknown, unknown, z.output<typeof verifyFields>>) {
  const file = call.storedFile;
  if (!file) throw new ApiError(400, 'INVALID_INPUT', '확인할 제공 파일(ZIP)을 고르십시오.');
  let result;
  try {
    const key = await packagePublicKey(deps);
    result = await verifyPackageFile(file.path, call.body.password, key.pem);
  } finally {
    await call.release();
  }
  await call.audit({
    action: 'disclosure.package_verified',
    targetType: 'disclosure_package',
    targetId: result.manifest?.managementNumber ?? 'unknown',
    reason: '제공 파일 검증',
    detail: { ok: result.ok, problems: result.problems.map((problem) => problem.code), fileName: file.fileName },
  });
  return result;
}
