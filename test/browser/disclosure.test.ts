/**
 * 녹취정보 제공 (Art. 9) as the managing department works it in Chromium, with the workflow on the time-skipping Temporal
 * server and a real capture appliance that recorded the call: the operator registers Form 1 (a mistake first, answered
 * in Korean with what was typed kept), is told what a submission lacks, confirms the recorded call (a deleted one offered
 * but not selectable) and submits; the operator, the deputy (from the dashboard card) and the chief (from the list's
 * inbox) sign off; an auditor reads the case and is offered no step; the operator downloads Form 2, the recipient signs
 * on the screen's pad (an empty pad stopped with a message) and the signed Form 2 carries the drawing, builds the package — the password shown once, the ZIP opened by 7z with it —
 * and records the returned Form 3, which closes the case. Screenshots in test-artifacts/browser/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { localInputValue } from '../../api/disclosure-forms';
import { readDisclosureOverview } from '../../api/disclosure-overview';
import { parseSignature } from '../../api/signature';
import { DEMO_USERS } from '../../infra/directory/development-directory';
import type { Recording } from '../../infra/db/entities';
import { DisclosureWorkflows } from '../../infra/temporal/disclosure';
import { type RoleId } from '../../domain/roles';
import { SAMPLE_FILES } from '../support/api';
import { chromiumAvailable, logInAs, reloadUntil, rowCells, saveScreenshot, untilRow, watchedBrowsers } from '../support/browser';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

const APPLICANT = '홍길동';
const DAY_MS = 86_400_000;
const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('disclosure in Chromium', () => {
  let stack: WorkflowStack;
  let call: Recording;
  let scratch: string;

  beforeAll(async () => {
    stack = await startWorkflowStack('sqlite');
    call = await stack.capture.record({ callId: 'disclosure-browser', extension: stack.calls.staffExtension.number });
    scratch = mkdtempSync(path.join(os.tmpdir(), 'browser-disclosure-'));
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const openBrowser = watchedBrowsers(() => stack.api.url);
  /** What a datetime-local input takes for this instant, on the city's clock. */
  const seoul = (instant: Date) => localInputValue(instant, 'Asia/Seoul');
  const card = (page: Page) => page.getByRole('region', { name: '녹취정보 열람·제공 (제9조)' });
  const pdf = (name: string) => ({ name, mimeType: 'application/pdf', buffer: SAMPLE_FILES.pdf });

  async function fillForm1(page: Page): Promise<void> {
    await page.getByLabel('제공', { exact: true }).check();
    await page.getByLabel('신청인 성명 (기관·단체명)').fill(APPLICANT);
    await page.getByLabel('생년월일 또는 사업자등록번호').fill('1980-01-01');
    await page.getByLabel('주소 (소속)').fill('경기도 광명시 철산로 123');
    await page.getByLabel('연락처').fill('010-1234-5678');
    await page.getByLabel(/^전자우편/).fill('hong@example.test');
    await page.getByLabel('녹취 일시 (부터)').fill(seoul(new Date(Date.now() - 6 * DAY_MS)));
    await page.getByLabel('녹취 전화번호').fill(stack.calls.staffExtension.number);
    await page.getByLabel('열람·제공 목적').fill('민원 분쟁 증빙');
    await page.getByLabel('당사자와의 관계').fill('통화 당사자 본인');
    await page.getByLabel('신청 사유').fill('통화 내용 확인이 필요합니다.');
    await page.getByLabel('통화 당사자 (제9조제1항)').check();
    await page.getByLabel(/^근거 내용/).fill('신분증과 통화 시각으로 본인 확인');
  }

  /** Opens the case from an inbox and approves it. */
  async function signOff(page: Page, role: RoleId, caseUrl: string): Promise<void> {
    await page.getByLabel(/^의견/).fill(`${role} 확인`);
    await page.getByRole('button', { name: '승인' }).click();
    await page.waitForURL(caseUrl);
  }

  test('the operator takes a provision case from Form 1 to closed; the chain signs off from its inboxes', async () => {
    const url = stack.api.url;
    const operator = await openBrowser();
    await logInAs(operator, url, 'operator');
    await operator.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: '녹취정보 열람·제공' }).click();
    await operator.getByRole('link', { name: '신청서 접수' }).click();
    await operator.waitForURL(`${url}/disclosure/new`);

    // A mistake first: the window ends before it starts. Answered in Korean, everything typed still there.
    await fillForm1(operator);
    await operator.getByLabel('녹취 일시 (까지)').fill(seoul(new Date(Date.now() - 7 * DAY_MS)));
    await operator.getByRole('button', { name: '접수', exact: true }).click();
    expect(await operator.getByRole('alert').textContent()).toBe('녹취 일시의 끝이 시작보다 앞섭니다');
    expect(await operator.getByLabel('신청인 성명 (기관·단체명)').inputValue()).toBe(APPLICANT);
    expect(await operator.getByLabel('제공', { exact: true }).isChecked()).toBe(true);
    expect(await operator.getByLabel('통화 당사자 (제9조제1항)').isChecked()).toBe(true);
    await saveScreenshot(operator, 'disclosure-form1-mistake');
    await operator.getByLabel('녹취 일시 (까지)').fill(seoul(new Date(Date.now() + 5 * 60_000)));
    await operator.getByRole('button', { name: '접수', exact: true }).click();
    await operator.waitForURL(/\/disclosure\/[0-9a-f-]{36}$/);
    const caseUrl = operator.url();
    const managementNumber = (await rowCells(operator, '관리번호').textContent()) as string;
    expect(managementNumber).toMatch(/^\d{4}-\d{4}$/);
    expect(await rowCells(operator, '상태').textContent()).toBe('접수');
    expect(await rowCells(operator, '신청인 성명').textContent()).toBe(APPLICANT);

    // Submitted before any recording is confirmed: the workflow refuses, and the page says why.
    await operator.getByRole('button', { name: '결재 상신' }).click();
    await operator.waitForURL(caseUrl);
    await reloadUntil(
      operator,
      async () => (await operator.getByRole('alert').count()) > 0,
      async () => `no readiness problem shown: ${await operator.locator('main').textContent()}`,
    );
    expect(await operator.getByRole('alert').textContent()).toContain('확인된 녹취가 없습니다');

    // The recorded call and the older ones on the number are offered; the one already deleted cannot be chosen.
    const matches = operator.getByRole('table', { name: '신청과 맞는 녹취' });
    const deleted = operator.locator(`#recording-${stack.calls.deletedCall.id}`);
    expect(await deleted.isDisabled()).toBe(true);
    expect(await matches.getByRole('row').filter({ has: deleted }).textContent()).toContain('삭제됨');
    await operator.locator(`#recording-${call.id}`).check();
    await saveScreenshot(operator, 'disclosure-matches');
    await operator.getByRole('button', { name: '녹취 확인' }).click();
    await operator.waitForURL(caseUrl);
    const recorded = () =>
      matches
        .getByRole('row')
        .filter({ has: operator.locator(`#recording-${call.id}`) })
        .textContent();
    await reloadUntil(
      operator,
      async () => (await recorded())?.includes('확인됨') ?? false,
      async () => `never confirmed: ${await recorded()}`,
    );
    await operator.getByRole('button', { name: '결재 상신' }).click();
    await operator.waitForURL(caseUrl);
    await untilRow(operator, '결재 대기', '업무담당자');
    expect(await rowCells(operator, '상태').textContent()).toBe('결재 중');

    // 결재: the operator from the list's inbox, the deputy from the dashboard card, the chief from the list again.
    await operator.goto(`${url}/disclosure`);
    await operator.getByRole('table', { name: '내 결재 대기' }).getByRole('link', { name: managementNumber }).click();
    await signOff(operator, 'operator', caseUrl);
    await untilRow(operator, '결재 대기', '부책임자');

    const deputy = await openBrowser();
    await logInAs(deputy, url, 'deputy');
    expect(await card(deputy).textContent()).toContain('내 결재 대기 1건');
    expect(await card(deputy).getByRole('list', { name: '진행 중인 신청' }).textContent()).toContain('결재 중 1건');
    await saveScreenshot(deputy, 'disclosure-dashboard-deputy');
    await card(deputy).getByRole('link', { name: managementNumber }).click();
    await signOff(deputy, 'deputy', caseUrl);
    await untilRow(deputy, '결재 대기', '관리부서의 장');

    const chief = await openBrowser();
    await logInAs(chief, url, 'chief');
    await chief.goto(`${url}/disclosure`);
    await chief.getByRole('table', { name: '내 결재 대기' }).getByRole('link', { name: managementNumber }).click();
    // The whole case page, not the part parsed when the click returned (the withdrawal form is at its end).
    await chief.waitForURL(caseUrl);
    await chief.waitForLoadState();
    // The chief may withdraw for the applicant too; the operator's steps are not offered.
    expect(await chief.getByRole('button').allTextContents()).toEqual(['로그아웃', '승인', '반려', '철회']);
    await signOff(chief, 'chief', caseUrl);
    await untilRow(chief, '상태', '인수·인계 대기');
    const line = await chief.getByRole('table', { name: '결재' }).getByRole('row').allTextContents();
    expect(line.filter((row) => row.includes('승인'))).toHaveLength(3);
    await saveScreenshot(chief, 'disclosure-approved-chief');

    // An auditor reads the case, its 결재 and history, and is offered no step and no file.
    const auditor = await openBrowser();
    await logInAs(auditor, url, 'auditor');
    await auditor.goto(`${url}/disclosure`);
    await auditor.getByRole('table', { name: '신청 목록' }).getByRole('link', { name: managementNumber }).click();
    expect(await rowCells(auditor, '상태').textContent()).toBe('인수·인계 대기');
    expect(await auditor.getByRole('button').allTextContents()).toEqual(['로그아웃']);
    expect(await auditor.locator('main a[download]').count()).toBe(0);

    // Form 2 as generated; the recipient signs on the screen's pad, and the handover is recorded with the day of receipt.
    await operator.goto(caseUrl);
    const documents = operator.getByRole('table', { name: '문서' });
    const [form2] = await Promise.all([operator.waitForEvent('download'), documents.getByRole('link', { name: /인수·인계증/ }).click()]);
    expect(
      readFileSync(await form2.path())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    expect(await operator.getByLabel('인수자 성명').inputValue()).toBe(APPLICANT);
    // Sent without a signature, the page stays and says what is missing.
    await operator.getByRole('button', { name: '화면 서명으로 인수·인계 기록' }).click();
    expect(await operator.getByRole('alert').textContent()).toBe('서명란에 인수자의 서명을 받은 뒤 기록하십시오.');
    expect(operator.url()).toBe(caseUrl);
    const padElement = operator.getByRole('img', { name: /인수자 서명란/ });
    // The mouse moves in the window's coordinates: the pad must be in view to be drawn on.
    await padElement.scrollIntoViewIfNeeded();
    const pad = (await padElement.boundingBox())!;
    await operator.mouse.move(pad.x + pad.width * 0.1, pad.y + pad.height * 0.6);
    await operator.mouse.down();
    for (let step = 1; step <= 40; step += 1) {
      await operator.mouse.move(pad.x + pad.width * (0.1 + step * 0.02), pad.y + pad.height * (0.5 + 0.25 * Math.sin(step / 3)));
    }
    await operator.mouse.up();
    expect(await operator.getByRole('alert').isHidden()).toBe(true);
    await saveScreenshot(operator, 'disclosure-handover-signature');
    await operator.getByRole('button', { name: '화면 서명으로 인수·인계 기록' }).click();
    await operator.waitForURL(caseUrl);
    await untilRow(operator, '상태', '열람·제공 중');
    // The signed Form 2 carries the drawing where the recipient signs.
    await reloadUntil(
      operator,
      async () => (await documents.getByRole('link', { name: /서명된 녹취정보 인수·인계증/ }).count()) > 0,
      async () => 'the signed Form 2 never showed',
    );
    const [signedForm2] = await Promise.all([operator.waitForEvent('download'), documents.getByRole('link', { name: /서명된 녹취정보 인수·인계증/ }).click()]);
    const signedZip = await JSZip.loadAsync(readFileSync(await signedForm2.path()));
    const [drawing] = Object.values(signedZip.files).filter((file) => file.name.startsWith('word/media/') && !file.dir);
    const png = await drawing!.async('nodebuffer');
    expect(parseSignature(`data:image/png;base64,${png.toString('base64')}`)).toMatchObject({ width: 600, height: 200 });
    // The package goes out with the blank Form 3, made once the deadline is planned.
    await reloadUntil(
      operator,
      async () => (await operator.getByRole('rowheader', { name: '파기 결과 회신 기한' }).count()) > 0,
      async () => 'the Form 3 deadline never showed',
    );

    // The package: its password on the answer page only, never cached, and the ZIP opens with it.
    const [answer] = await Promise.all([
      operator.waitForResponse((response) => response.url() === `${caseUrl}/package` && response.request().method() === 'POST'),
      operator.getByRole('button', { name: '제공 파일 만들기' }).click(),
    ]);
    expect(answer.headers()['cache-control']).toBe('no-store');
    const password = (await operator.locator('#package-password').textContent()) as string;
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await operator.getByRole('alert').textContent()).toContain('한 번만 보입니다');
    await saveScreenshot(operator, 'disclosure-package-password');
    const [download] = await Promise.all([operator.waitForEvent('download'), operator.getByRole('link', { name: /내려받기 \(암호 ZIP\)/ }).click()]);
    const zip = path.join(scratch, 'package.zip');
    await download.saveAs(zip);
    expect(spawnSync('7z', ['t', '-pnot-the-password', zip], { encoding: 'utf8' }).status).not.toBe(0);
    const opened = spawnSync('7z', ['t', `-p${password}`, zip], { encoding: 'utf8' });
    expect(opened.status).toBe(0);
    const listing = spawnSync('7z', ['l', '-slt', `-p${password}`, zip], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/Path = recordings\/.+\.wav/);
    expect(listing).toContain(`파기결과회신서_${managementNumber}.docx`);
    await operator.getByRole('link', { name: '신청으로 돌아가기' }).click();
    await untilRow(operator, '상태', '파기 회신 대기');
    expect(await operator.content()).not.toContain(password);
    expect(await operator.getByRole('button', { name: '제공 파일 만들기' }).count()).toBe(0);

    // The operator's card counts the case as awaiting Form 3; forty days on it would be overdue. The API's clock
    // cannot be moved, so the overview the card shows is read here for that day.
    await operator.goto(`${url}/`);
    expect(await card(operator).getByRole('list', { name: '진행 중인 신청' }).textContent()).toContain('파기 회신 대기 1건');
    expect(await card(operator).textContent()).not.toContain('파기 회신 기한 경과');
    await saveScreenshot(operator, 'disclosure-dashboard-operator');
    const later = await readDisclosureOverview(
      { workflows: new DisclosureWorkflows(stack.env.client, 'status-only') },
      stack.database.orm.em.fork(),
      DEMO_USERS.find((user) => user.roles.includes('operator'))!,
      new Date(Date.now() + 40 * DAY_MS),
    );
    expect(later.overdue.map((entry) => entry.item.managementNumber)).toEqual([managementNumber]);

    // The returned Form 3: its scan attached, then recorded as it reads; the case closes.
    await operator.goto(caseUrl);
    expect(await operator.getByLabel('첨부 종류').inputValue()).toBe('destruction_report');
    await operator.getByLabel(/^파일/).setInputFiles([pdf('파기결과회신서_회신.pdf')]);
    await operator.getByRole('button', { name: '첨부', exact: true }).click();
    await operator.waitForURL(caseUrl);
    const destroyedAt = operator.getByLabel('파기 일시');
    await destroyedAt.fill((await destroyedAt.getAttribute('max')) as string);
    await operator.getByLabel('파기 방법', { exact: true }).selectOption({ label: '삭제 후 덮어쓰기' });
    await operator.getByLabel('예', { exact: true }).check();
    await operator.getByLabel(/^입회자/).fill('김입회');
    await saveScreenshot(operator, 'disclosure-form3-form');
    await operator.getByRole('button', { name: '파기 결과 회신서 접수' }).click();
    await operator.waitForURL(caseUrl);
    await untilRow(operator, '상태', '종결');
    expect(await rowCells(operator, '종결').textContent()).toContain('파기 결과 회신서 접수');
    expect(await operator.getByRole('button').allTextContents()).toEqual(['로그아웃']);
    const history = await operator.getByRole('table', { name: '처리 이력' }).textContent();
    for (const step of [
      '신청서 접수',
      '녹취 확인',
      '결재 상신',
      '최종 결재 (승인)',
      '인수·인계증 서명 확인',
      '제공 파일 작성',
      '제공 파일 전달',
      '파기 결과 회신서 접수',
    ]) {
      expect(history).toContain(step);
    }
    // The case's process drawn from its workflow: ended at 종결, every step before it marked as passed.
    const diagram = operator.locator('[data-process-model]');
    await diagram.scrollIntoViewIfNeeded();
    await operator.waitForFunction("document.querySelector('[data-process-model]').dataset.processViewState !== 'loading'");
    expect(await diagram.getAttribute('data-process-view-state')).toBe('process-view-ready');
    expect(await diagram.getAttribute('data-process-view-missing')).toBeNull();
    expect(await operator.locator('.djs-element.process-view-current').getAttribute('data-element-id')).toBe('end_closed');
    const passed = await operator
      .locator('.djs-element.process-view-past')
      .evaluateAll((elements) => elements.map((element) => element.getAttribute('data-element-id')));
    expect(passed).toEqual(expect.arrayContaining(['registered', 'in_sign_off', 'awaiting_handover', 'released', 'awaiting_destruction_report']));
    await saveScreenshot(operator, 'disclosure-closed');
    await operator.goto(`${url}/disclosure`);
    expect(await operator.getByRole('table', { name: '신청 목록' }).getByRole('row').filter({ hasText: managementNumber }).textContent()).toContain('종결');
    await saveScreenshot(operator, 'disclosure-list');
  }, 180_000);
});
