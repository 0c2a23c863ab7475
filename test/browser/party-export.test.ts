/**
 * Retention and the party's own export (R4, R5) as officials meet them in Chromium, with a real capture appliance
 * behind the API: the chief decides a hold on a call (basis, document, end, reviewer) and sees it; the official on the call sees when it will be deleted
 * and that it is held, gets a Korean message for a mistyped password without losing the reason, then downloads the
 * AES-256 ZIP — which Debian's 7-Zip opens with the password typed in the browser and refuses without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Recording } from '../../infra/db/entities';
import { SAMPLE_FILES, seedCalls, startTestApi, type SeededCalls, type TestApi } from '../support/api';
import { holdDecisionFields } from '../support/holds';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { chromiumAvailable, logInAs, rowCells, saveScreenshot, watchedBrowsers } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/databases';

const PASSWORD = 'Quiet-Harbor-2026';
const REASON = '민원 처리 경위 확인용으로 업무용 PC에 보관';
const describeBrowser = chromiumAvailable() ? describe : describe.skip;

if (spawnSync('7z', ['i']).status !== 0) {
  throw new Error('7z is not on PATH: the export cannot be proven to open (Debian package p7zip-full)');
}

describeBrowser('retention and the party export in Chromium', () => {
  let database: TestDatabase;
  let calls: SeededCalls;
  let capture: TestAppliance;
  let api: TestApi;
  let call: Recording;
  let downloads: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    calls = await seedCalls(database.orm);
    capture = await startTestAppliance(database.orm);
    call = await capture.record({ callId: 'browser-export-1', extension: calls.staffExtension.number });
    api = await startTestApi(database.orm, { capture: capture.clients.api });
    downloads = mkdtempSync(path.join(os.tmpdir(), 'browser-export-'));
  });
  afterAll(async () => {
    await api?.close();
    await capture?.close();
    await database?.dispose();
    rmSync(downloads, { recursive: true, force: true });
  });

  const openBrowser = watchedBrowsers(() => api.url);

  test('the chief holds the call; the official sees its deletion date and the hold, and exports it with a password', async () => {
    const chief = await openBrowser();
    await logInAs(chief, api.url, 'chief');
    await chief.goto(`${api.url}/recordings/${call.id}`);
    // A decision: the reason, the law and article, the requesting document, the end and another person to review it.
    const decision = holdDecisionFields({ reason: '수사기관의 녹취 보전 요청' });
    await chief.locator('#hold-reason').fill(decision.reason);
    await chief.locator('#hold-basis').fill(decision.legalBasis);
    await chief.locator('#hold-document').setInputFiles({ name: '보전요청공문.pdf', mimeType: 'application/pdf', buffer: SAMPLE_FILES.pdf });
    await chief.locator('#hold-ends').fill(decision.endsOn);
    await chief.locator('#hold-reviewer').fill(decision.reviewer);
    await chief.getByRole('button', { name: '보존 중지 결정' }).click();
    await chief.waitForLoadState();
    expect(await chief.getByText('보존 중지 1건', { exact: false }).count()).toBe(1);
    expect(await chief.getByRole('cell', { name: /형사소송법 제106조/ }).count()).toBe(1);
    expect(await chief.getByRole('link', { name: /^보존중지근거_.+\.pdf$/ }).count()).toBe(1);
    // The chief was not on the call: no export form.
    expect(await chief.getByRole('button', { name: '암호 ZIP으로 내려받기' }).count()).toBe(0);
    await saveScreenshot(chief, 'recording-held-chief');

    const page = await openBrowser();
    await logInAs(page, api.url, 'staff');
    await page.goto(`${api.url}/recordings/${call.id}`);
    const due = new Intl.DateTimeFormat('ko-KR', {
      timeZone: 'Asia/Seoul',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(call.retentionDueAt);
    expect(await rowCells(page, '삭제 예정').textContent()).toContain(due);
    expect(await page.getByText('보존 중지 1건', { exact: false }).count()).toBe(1);

    // A mistyped confirmation: the form comes back in Korean with the reason kept and the passwords cleared.
    await page.getByLabel('비밀번호', { exact: false }).first().fill(PASSWORD);
    await page.getByLabel('비밀번호 확인').fill(`${PASSWORD}!`);
    await page.getByLabel('보관 사유').fill(REASON);
    await page.getByRole('button', { name: '암호 ZIP으로 내려받기' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('두 번 입력한 비밀번호가 서로 다릅니다');
    expect(await page.getByLabel('보관 사유').inputValue()).toBe(REASON);
    expect(await page.getByLabel('비밀번호 확인').inputValue()).toBe('');
    await saveScreenshot(page, 'party-export-mismatch');

    await page.locator('#export-password').fill(PASSWORD);
    await page.getByLabel('비밀번호 확인').fill(PASSWORD);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '암호 ZIP으로 내려받기' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^recording_.+\.zip$/);
    const zip = path.join(downloads, download.suggestedFilename());
    await download.saveAs(zip);

    const out = path.join(downloads, 'out');
    const refused = spawnSync('7z', ['x', '-y', '-pnot-the-password', `-o${out}-wrong`, zip], { encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    const opened = spawnSync('7z', ['x', '-y', `-p${PASSWORD}`, `-o${out}`, zip], { encoding: 'utf8' });
    expect(opened.status).toBe(0);
    const listing = spawnSync('7z', ['l', '-slt', `-p${PASSWORD}`, zip], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/Method = AES-256/);
    expect(listing).toMatch(/Path = .+\.wav/);
  });
});
