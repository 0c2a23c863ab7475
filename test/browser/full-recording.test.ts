/**
 * 전수 녹취 (Art. 6) as its users meet it in Chromium, with its workflow on the time-skipping Temporal server and a real
 * capture appliance: the department head previews the application as DOCX (LibreOffice opens it) and files it with its
 * evidence (listed with its SHA-256, downloaded unchanged under the system's name); the operator, the deputy and the chief find it in their approval inbox and approve it in
 * turn; the head then sees the extension recorded in full. Screenshots in test-artifacts/browser/.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RoleId } from '../../domain/roles';
import { SAMPLE_FILES, type SeededCalls, type TestApi } from '../support/api';
import { chromiumAvailable, logInAs, rowCells, saveScreenshot, untilRow, watchedBrowsers } from '../support/browser';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { convertToPdf, pdfText } from '../support/libreoffice';

const REASON = '폭언·욕설 민원이 반복되어 직원 보호를 위해 모든 통화를 녹음하려 합니다';
const EVIDENCE_NAME = '민원 응대 기록.pdf';
const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('full recording in Chromium', () => {
  let stack: WorkflowStack;
  let calls: SeededCalls;
  let api: TestApi;
  let downloads: string;

  beforeAll(async () => {
    stack = await startWorkflowStack('sqlite');
    ({ calls, api } = stack);
    downloads = mkdtempSync(path.join(os.tmpdir(), 'browser-full-recording-'));
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(downloads, { recursive: true, force: true });
  });

  const openBrowser = watchedBrowsers(() => api.url);

  test('the head applies, the managing department approves in turn, and the extension is recorded in full', async () => {
    const number = calls.staffExtension.number;
    const head = await openBrowser();
    await logInAs(head, api.url, 'dept_head');
    await head.getByRole('link', { name: '전수 녹취', exact: true }).click();
    await head.getByRole('link', { name: '전수 녹취 신청하기' }).click();
    await head.waitForURL(`${api.url}/full-recording/new`);
    // A mistake first: the reason too short comes back in Korean, the choices kept.
    await head.getByLabel(new RegExp(`^${number}`)).check();
    await head.getByLabel('신청 사유 구분').selectOption({ label: '2. 전화폭력 등 악성 민원이 많은 경우 (제6조제2항제2호)' });
    await head.getByLabel('구체적 사유').fill('짧음');
    await head.getByLabel('구체적 사유').evaluate((field) => field.removeAttribute('minlength'));
    await head.getByRole('button', { name: '신청', exact: true }).click();
    expect(await head.getByRole('alert').textContent()).toContain('10자 이상');
    expect(await head.getByLabel(new RegExp(`^${number}`)).isChecked()).toBe(true);
    await head.getByLabel('구체적 사유').fill(REASON);
    // Evidence chosen now goes with the preview and with the filing.
    await head.getByLabel(/^증빙자료/).setInputFiles([{ name: EVIDENCE_NAME, mimeType: 'application/pdf', buffer: SAMPLE_FILES.pdf }]);
    // The document before filing: LibreOffice opens it and it says what the form says.
    const [preview] = await Promise.all([head.waitForEvent('download'), head.getByRole('button', { name: '신청서 미리보기 (DOCX)' }).click()]);
    const previewFile = path.join(downloads, preview.suggestedFilename());
    await preview.saveAs(previewFile);
    const text = await pdfText(await convertToPdf(previewFile));
    expect(text).toContain(REASON);
    expect(text).toContain(number);
    expect(text).toContain(EVIDENCE_NAME);
    expect(await head.getByLabel('구체적 사유').inputValue()).toBe(REASON);
    await head.getByRole('button', { name: '신청', exact: true }).click();
    await head.waitForURL(/\/full-recording\/[0-9a-f-]{36}$/);
    const detailUrl = head.url();
    expect(await rowCells(head, '상태').textContent()).toBe('검토 중');
    expect(await rowCells(head, '결재 대기').textContent()).toContain('업무담당자');
    const evidence = head.getByRole('table', { name: '증빙자료' });
    expect(await evidence.textContent()).toContain(createHash('sha256').update(SAMPLE_FILES.pdf).digest('hex'));
    await saveScreenshot(head, 'full-recording-applied');
    // Downloaded under the system's name; the name it was chosen under is shown beside it.
    expect(await evidence.textContent()).toContain(EVIDENCE_NAME);
    const systemName = `증빙자료_${detailUrl.split('/').pop()}_1.pdf`;
    const [evidenceFile] = await Promise.all([head.waitForEvent('download'), evidence.getByRole('link', { name: systemName }).click()]);
    expect(evidenceFile.suggestedFilename()).toBe(systemName);
    expect(readFileSync(await evidenceFile.path()).equals(SAMPLE_FILES.pdf)).toBe(true);

    const [download] = await Promise.all([head.waitForEvent('download'), head.getByRole('link', { name: '신청서 내려받기 (DOCX)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^full-recording-application_[0-9a-f-]{36}\.docx$/);

    for (const role of ['operator', 'deputy', 'chief'] as RoleId[]) {
      const page = await openBrowser();
      await logInAs(page, api.url, role);
      await page.goto(`${api.url}/full-recording`);
      const inbox = page.getByRole('table', { name: '내 결재 대기' });
      await inbox.getByRole('link').first().click();
      await page.waitForURL(detailUrl);
      await page.getByLabel(/의견/).fill(`${role} 검토 완료`);
      await page.getByRole('button', { name: '승인' }).click();
      await page.waitForURL(detailUrl);
      if (role === 'chief') {
        await untilRow(page, '상태', '전수 녹취 중');
        await saveScreenshot(page, 'full-recording-active-chief');
      } else {
        await untilRow(page, '결재 대기', role === 'operator' ? '부책임자' : '관리부서의 장');
      }
    }

    await head.goto(`${api.url}/full-recording`);
    const extensions = head.getByRole('table', { name: '내선별 녹취 방식' });
    expect(await extensions.getByRole('row').filter({ hasText: number }).textContent()).toContain('전수 녹취');
    await saveScreenshot(head, 'full-recording-list-head');
    await head.goto(detailUrl);
    expect(await head.getByRole('table').last().textContent()).toContain('녹취 장치에 전수 녹취 적용 확인');
  }, 120_000);
});
