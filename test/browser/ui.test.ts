/**
 * The Korean intranet UI as officials meet it: Debian's Chromium against the real API over a SQLite
 * database with a few calls. Login by keyboard, navigation by role, recording search and detail,
 * refusals, logout, and the accessibility and security basics — on every page, no console error
 * (the Content-Security-Policy blocks nothing the pages need) and no request leaves the API's origin.
 */
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { type RoleId } from '../../domain/roles';
import { DEMO_BY_ROLE, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';
import { chromiumAvailable, logInAs, saveScreenshot, submitLogin as submitLoginAt, watchedBrowsers } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { Recording } from '../../infra/db/entities';

/** The navigation each role should see: exactly the pages it may open, written out independently of the route table. */
const NAVIGATION: Record<RoleId, readonly string[]> = {
  chief: ['대시보드', '녹취정보 조회', '미등록 녹취', '전수 녹취', '녹취정보 열람·제공', '접근 권한자', '접근기록 점검', '로그인 잠금', '사전고지'],
  deputy: ['대시보드', '녹취정보 조회', '미등록 녹취', '전수 녹취', '녹취정보 열람·제공', '접근 권한자', '접근기록 점검', '사전고지'],
  operator: ['대시보드', '녹취정보 조회', '미등록 녹취', '전수 녹취', '녹취정보 열람·제공', '접근 권한자', '접근기록 점검', '사전고지'],
  dept_head: ['대시보드', '녹취정보 조회', '전수 녹취', '내 녹취정보 신청'],
  staff: ['대시보드', '녹취정보 조회', '내 녹취정보 신청'],
  auditor: ['대시보드', '전수 녹취', '녹취정보 열람·제공', '접근 권한자', '접근기록 점검'],
  records: ['대시보드'],
};

/** The card each role finds on its dashboard. */
const DASHBOARD_CARD: Record<RoleId, string> = {
  chief: '결재·승인',
  deputy: '검토',
  operator: '업무 처리',
  dept_head: '전수 녹취 신청',
  staff: '내 통화',
  auditor: '감사',
  records: '관리대장',
};

const KOREAN_DATE_TIME = /\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}/;
const SEOUL_DATE_TIME = new Intl.DateTimeFormat('ko-KR', {
  timeZone: 'Asia/Seoul',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('intranet UI in Chromium', () => {
  let database: TestDatabase;
  let api: TestApi;
  let calls: SeededCalls;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    calls = await seedCalls(database.orm);
    api = await startTestApi(database.orm);
  });
  afterAll(async () => {
    await api?.close();
    await database?.dispose();
  });

  const openBrowser = watchedBrowsers(() => api.url);

  const submitLogin = (page: Page, username: string, password: string) => submitLoginAt(page, api.url, username, password);
  const logIn = (page: Page, role: RoleId) => logInAs(page, api.url, role);

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const navigation = (page: Page) => page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link').allTextContents();
  const resultRows = (page: Page) => page.locator('table tbody tr');

  // Code run in the page reaches the document through the element Playwright hands it: the project
  // compiles for Node without the DOM library, so globals such as `document` are not declared.

  /** True when the page needs no horizontal scrolling at the current window size. */
  const fitsWidth = (page: Page): Promise<boolean> => page.locator('html').evaluate((root) => root.scrollWidth <= root.clientWidth);

  test.each(Object.keys(NAVIGATION) as RoleId[])('%s logs in by keyboard and sees exactly the pages the role may open', async (role) => {
    const page = await openBrowser();
    await logIn(page, role);

    expect(await heading(page)).toBe('대시보드');
    expect(await page.locator('header').textContent()).toContain(`(${DEMO_BY_ROLE[role]})`);
    expect(await page.getByRole('heading', { level: 2, name: DASHBOARD_CARD[role] }).count()).toBe(1);
    expect(await navigation(page)).toEqual(NAVIGATION[role]);
    expect(await fitsWidth(page)).toBe(true);
    await saveScreenshot(page, `dashboard-${role}`);

    // Every page the menu offers opens for this role.
    for (const label of NAVIGATION[role]) {
      const link = page.getByRole('link', { name: label, exact: true });
      const target = `${api.url}${await link.getAttribute('href')}`;
      const [response] = await Promise.all([page.waitForResponse(target), link.click()]);
      await page.waitForURL(target);
      expect({ label, status: response.status() }).toEqual({ label, status: 200 });
      expect(await link.getAttribute('aria-current')).toBe('page');
      expect(await fitsWidth(page)).toBe(true);
    }
  });

  test('a wrong password is answered in Korean on the login page', async () => {
    const page = await openBrowser();
    await submitLogin(page, DEMO_BY_ROLE.operator, 'not-the-password');

    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('alert').textContent()).toBe('사용자 이름 또는 비밀번호가 올바르지 않습니다.');
    // The name stays filled in and the field points at the error for screen readers.
    expect(await page.getByLabel('사용자 이름').inputValue()).toBe(DEMO_BY_ROLE.operator);
    expect(await page.getByLabel('사용자 이름').getAttribute('aria-describedby')).toBe('login-error');
    expect(await page.getByLabel('비밀번호').inputValue()).toBe('');
    expect(await page.getByRole('navigation').count()).toBe(0);
    await saveScreenshot(page, 'login-wrong-password');

    // The form still works after the error.
    await page.getByLabel('비밀번호').fill(DEMO_PASSWORD);
    await page.getByLabel('비밀번호').press('Enter');
    await page.waitForURL(`${api.url}/`);
    expect(await heading(page)).toBe('대시보드');
  });

  test('the operator searches by extension, other party and mode, and opens a call', async () => {
    const page = await openBrowser();
    await logIn(page, 'operator');
    await page.getByRole('link', { name: '녹취정보 조회' }).click();
    await page.waitForURL(`${api.url}/recordings`);
    expect(await heading(page)).toBe('녹취정보 조회');
    // Without conditions the storage period is searched: every seeded call, the deleted one included.
    expect(await resultRows(page).count()).toBe(4);

    await page.getByLabel('내선번호').fill(calls.staffExtension.number);
    await page.getByLabel('상대방 번호 (일부)').fill('5555');
    await page.getByLabel('녹취 방식').selectOption({ label: '선택적 녹취' });
    await page.getByRole('button', { name: '검색' }).click();
    await page.waitForURL((url) => url.searchParams.get('extension') === calls.staffExtension.number);

    // The conditions stay in the form, and exactly the matching call is listed.
    expect(await page.getByLabel('내선번호').inputValue()).toBe(calls.staffExtension.number);
    expect(await page.getByLabel('녹취 방식').inputValue()).toBe('selective');
    expect(await resultRows(page).count()).toBe(1);
    const cells = await resultRows(page).first().locator('td').allTextContents();
    expect(cells.slice(0, 6)).toEqual([
      SEOUL_DATE_TIME.format(calls.staffCall.startedAt),
      '02-2680-1234',
      '복지정책과',
      '010-5555-1234',
      '수신',
      '선택적 녹취',
    ]);
    expect(cells[0]).toMatch(KOREAN_DATE_TIME);
    expect(cells[6]).toBe('1분 35초');
    expect(cells[7]).toMatch(new RegExp(`^보관 중 \\(${KOREAN_DATE_TIME.source} 삭제 예정\\)$`));
    expect(await fitsWidth(page)).toBe(true);
    await saveScreenshot(page, 'recordings-operator');

    await resultRows(page).first().getByRole('link').click();
    await page.waitForURL(`${api.url}/recordings/${calls.staffCall.id}`);
    expect(await heading(page)).toBe('녹취정보');
    const detail = Object.fromEntries(
      await page
        .locator('table tbody tr')
        .evaluateAll((rows) => rows.map((row) => [row.querySelector('th')?.textContent, row.querySelector('td')?.textContent])),
    );
    expect(detail).toMatchObject({
      '통화 시작': SEOUL_DATE_TIME.format(calls.staffCall.startedAt),
      내선: '02-2680-1234',
      '상대방 번호': '010-5555-1234',
      사전고지: '고지함',
      삭제: '보관 중',
    });
    expect(detail['통화 종료']).toMatch(KOREAN_DATE_TIME);
    expect(detail['삭제 예정']).toMatch(KOREAN_DATE_TIME);
    await saveScreenshot(page, 'recording-detail');
    await page.getByRole('link', { name: '녹취정보 조회로 돌아가기' }).click();
    await page.waitForURL(`${api.url}/recordings`);
  });

  test('the results table fits a 1920×1080 screen', async () => {
    const page = await openBrowser({ width: 1920, height: 1080 });
    await logIn(page, 'operator');
    await page.goto(`${api.url}/recordings`);
    expect(await resultRows(page).count()).toBe(4);
    expect(await fitsWidth(page)).toBe(true);
    await saveScreenshot(page, 'recordings-operator-1920x1080');
  });

  test("an official sees only calls on their own extension, and is refused another official's call", async () => {
    const page = await openBrowser();
    await logIn(page, 'staff');
    await page.getByRole('link', { name: '녹취정보 조회' }).click();
    await page.waitForURL(`${api.url}/recordings`);

    expect(await page.locator('.notice').textContent()).toContain('본인이 당사자인 통화만 표시됩니다.');
    const extensions = await resultRows(page).locator('td:nth-child(2)').allTextContents();
    expect(extensions).toEqual(['02-2680-1234', '02-2680-1234']);
    // The deleted call is still listed, without the other party's number.
    expect(await resultRows(page).nth(1).locator('td').allTextContents()).toEqual(
      expect.arrayContaining(['—', expect.stringMatching(new RegExp(`^삭제됨 \\(${KOREAN_DATE_TIME.source}\\)$`))]),
    );
    await saveScreenshot(page, 'recordings-staff');

    const refused = await page.goto(`${api.url}/recordings/${calls.headCall.id}`);
    expect(refused?.status()).toBe(403);
    expect(await heading(page)).toBe('권한 없음');
    expect(await page.getByRole('alert').textContent()).toBe('본인이 당사자인 통화만 볼 수 있습니다.');
    expect(await page.locator('main').textContent()).toContain('NOT_PARTY');
    expect(await page.locator('main').textContent()).not.toContain('031-777-8888');
  });

  test('a page the role may not open shows the Korean refusal with its error code', async () => {
    const page = await openBrowser();
    await logIn(page, 'staff');
    const response = await page.goto(`${api.url}/access-holders`);

    expect(response?.status()).toBe(403);
    expect(await heading(page)).toBe('권한 없음');
    expect(await page.getByRole('alert').textContent()).toBe('이 기능을 쓸 권한이 없습니다.');
    const codes = await page.locator('main code').allTextContents();
    expect(codes[0]).toBe('FORBIDDEN');
    expect(codes[1]).toMatch(/^[0-9a-f-]{36}$/);
    // Still logged in: the menu and the way back are there, and nothing of the holders' page leaked.
    expect(await navigation(page)).toEqual(NAVIGATION.staff);
    expect(await page.getByRole('link', { name: '처음 화면으로' }).count()).toBe(1);
    expect(await page.locator('main').textContent()).not.toContain('choi.chief');
    await saveScreenshot(page, 'forbidden-staff');
  });

  test('after logout, Back and revisiting a page both ask for the login again', async () => {
    const page = await openBrowser();
    await logIn(page, 'operator');
    await page.getByRole('link', { name: '녹취정보 조회' }).click();
    await page.waitForURL(`${api.url}/recordings`);
    expect(await page.locator('main').textContent()).toContain('010-5555-1234');
    await page.getByRole('button', { name: '로그아웃' }).click();
    await page.waitForURL(`${api.url}/login`);
    expect(await heading(page)).toBe('로그인');
    expect(await page.getByRole('button', { name: '로그아웃' }).count()).toBe(0);

    // The search results are not shown again from the browser's cache: Back reaches the server.
    await page.goBack();
    expect(page.url()).toBe(`${api.url}/login?next=%2Frecordings`);
    expect(await heading(page)).toBe('로그인');
    expect(await page.locator('body').textContent()).not.toContain('010-5555-1234');

    await page.goto(`${api.url}/`);
    expect(page.url()).toBe(`${api.url}/login?next=%2F`);
    expect(await page.locator('body').textContent()).not.toContain('lee.operator');

    // Logging in again from there leads back to the page that was asked for.
    await page.goto(`${api.url}/recordings`);
    await page.getByLabel('사용자 이름').fill(DEMO_BY_ROLE.operator);
    await page.getByLabel('비밀번호').fill(DEMO_PASSWORD);
    await page.getByLabel('비밀번호').press('Enter');
    await page.waitForURL(`${api.url}/recordings`);
    expect(await heading(page)).toBe('녹취정보 조회');
  });

  /*
   * Chromium keeps `Cache-Control: no-store` pages in its back/forward cache; the page the login
   * redirect landed on is not dropped when logout clears the cookie. The pages' script reloads a page
   * restored from that cache, so the server answers with the login page instead.
   */
  test('Back right after logging out from the dashboard does not show it again', async () => {
    const page = await openBrowser();
    await logIn(page, 'operator');
    await page.getByRole('button', { name: '로그아웃' }).click();
    await page.waitForURL(`${api.url}/login`);

    // A page restored from the cache fires no load event: wait only until the history step is taken.
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForURL((url) => url.pathname === '/login', { timeout: 5_000 });
    expect(await page.locator('body').textContent()).not.toContain('lee.operator');
  });

  test('an official locked out by wrong passwords: the chief sees the account and lifts the lock with a reason', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) await new TestClient(api.url).login(DEMO_BY_ROLE.records, 'wrong-password');
    const page = await openBrowser();
    await logIn(page, 'chief');
    await page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: '로그인 잠금', exact: true }).click();
    await page.waitForURL(`${api.url}/login-locks`);
    const row = page.locator('table tbody tr', { hasText: DEMO_BY_ROLE.records });
    expect(await row.locator('td').nth(1).textContent()).toBe('잠김');
    await saveScreenshot(page, 'login-locks');
    await row.getByLabel('사유').fill('본인 전화로 확인');
    await row.getByRole('button', { name: '잠금 해제' }).click();
    await page.waitForURL(`${api.url}/login-locks`);
    expect(await page.locator('main').textContent()).toContain('지금 잠기거나 대기 중인 계정이 없습니다.');
    expect((await new TestClient(api.url).login(DEMO_BY_ROLE.records)).status).toBe(200);
  });

  test('the chief finds a call recorded without notice on the dashboard, opens it, and takes the announcement for the PBX', async () => {
    // The department head's full-recording call came without the announcement's evidence (R3).
    const em = database.orm.em.fork();
    const flagged = await em.findOneOrFail(Recording, calls.headCall.id);
    flagged.complianceException = 'notice_missing';
    await em.flush();

    const page = await openBrowser();
    await logIn(page, 'chief');
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: '사전고지 준수 예외 (제7조)' }) });
    expect(await card.getByRole('alert').textContent()).toContain('고지 증거 없이 녹음된 통화 1건');
    const cells = await card.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells).toEqual([SEOUL_DATE_TIME.format(calls.headCall.startedAt), calls.headExtension.number, '복지정책과', '전수 녹취 — 안내멘트 재생 증거 없음']);
    expect(await fitsWidth(page)).toBe(true);
    await saveScreenshot(page, 'dashboard-compliance-exceptions');
    await card.getByRole('link').first().click();
    await page.waitForURL(`${api.url}/recordings/${calls.headCall.id}`);

    await page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: '사전고지' }).click();
    expect(await heading(page)).toBe('사전고지 안내멘트');
    expect(await page.locator('blockquote').textContent()).toBe('이 통화는 정확한 업무 처리를 위해 녹음됩니다.');
    await saveScreenshot(page, 'notice-announcement');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'announcement-ko.wav 내려받기' }).click()]);
    expect(download.suggestedFilename()).toBe('announcement-ko.wav');
  });

  describe('accessibility basics on every page', () => {
    /** Inputs a user fills in without a label a screen reader can announce. */
    const unlabelledFields = (page: Page): Promise<string[]> =>
      page
        .locator('input:not([type=hidden]), select, textarea')
        .evaluateAll((fields) => fields.filter((field) => field.labels.length === 0).map((field) => field.name || field.outerHTML));

    interface Focus {
      tag: string;
      text: string;
      id: string;
      /** Who draws the focus ring: the stylesheet, Chromium (its own controls), or nobody. */
      ring: 'page' | 'browser' | 'none';
      onScreen: boolean;
    }

    /** What is focused, and whether the focus ring can be seen. */
    const focused = (page: Page): Promise<Focus> =>
      page.locator('html').evaluate((root) => {
        const element = root.ownerDocument.activeElement;
        const style = root.ownerDocument.defaultView.getComputedStyle(element);
        const box = element.getBoundingClientRect();
        const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        // A date field's calendar button is Chromium's own control inside the field: the field itself
        // does not match :focus then, and Chromium draws that button's ring.
        const ring = element.matches(':focus') ? (outlined ? 'page' : 'none') : element.matches('input[type=date]') ? 'browser' : 'none';
        return {
          tag: element.tagName,
          text: element.textContent?.trim() ?? '',
          id: element.id,
          ring,
          onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0 && box.right <= root.clientWidth,
        };
      });

    async function checkPage(page: Page, name: string): Promise<void> {
      expect({ name, lang: await page.locator('html').getAttribute('lang') }).toEqual({ name, lang: 'ko' });
      expect({ name, unlabelled: await unlabelledFields(page) }).toEqual({ name, unlabelled: [] });
      expect({ name, fits: await fitsWidth(page) }).toEqual({ name, fits: true });
      expect(await page.title()).toMatch(/ — 광명시 행정전화 녹취시스템$/);
    }

    /** The skip link stays out of sight until it is the first Tab stop, then shows itself with a focus ring and moves focus to the content. */
    async function checkSkipLink(page: Page, name: string): Promise<void> {
      const hidden = await page.getByRole('link', { name: '본문 바로가기' }).boundingBox();
      expect({ name, hidden: (hidden?.x ?? 0) + (hidden?.width ?? 0) <= 0 }).toEqual({ name, hidden: true });
      await page.keyboard.press('Tab');
      expect({ name, focus: await focused(page) }).toEqual({ name, focus: { tag: 'A', text: '본문 바로가기', id: '', ring: 'page', onScreen: true } });
      await page.keyboard.press('Enter');
      expect({ name, focus: (await focused(page)).id }).toEqual({ name, focus: 'main' });
    }

    test('login page: labelled fields, Korean, focus starts in the user name', async () => {
      const page = await openBrowser();
      await page.goto(`${api.url}/login`);
      await checkPage(page, 'login');
      expect((await focused(page)).id).toBe('username');
      // Before the user name come only the skip link and the system's name, and the skip link shows itself.
      await page.keyboard.press('Shift+Tab');
      expect((await focused(page)).text).toBe('광명시 행정전화 녹취시스템');
      await page.keyboard.press('Shift+Tab');
      expect(await focused(page)).toMatchObject({ text: '본문 바로가기', ring: 'page', onScreen: true });
      await page.keyboard.press('Enter');
      expect((await focused(page)).id).toBe('main');
      await saveScreenshot(page, 'login');
    });

    test('pages after login: Korean, labelled fields, skip link first, focus always visible', async () => {
      const page = await openBrowser();
      await logIn(page, 'operator');
      const pages: [string, string][] = [
        ['dashboard', '/'],
        ['recordings', '/recordings'],
        ['recording', `/recordings/${calls.itCall.id}`],
        ['unregistered-recordings', '/unregistered-recordings'],
        ['access-holders', '/access-holders'],
        ['notice', '/notice'],
        ['disclosure', '/disclosure'],
        ['disclosure-new', '/disclosure/new'],
        ['not-found', '/no-such-page'],
      ];
      for (const [name, path] of pages) {
        await page.goto(`${api.url}${path}`);
        await checkPage(page, name);
        await checkSkipLink(page, name);
      }
      await saveScreenshot(page, 'not-found');

      // Every Tab stop of the search page shows where the keyboard is.
      await page.goto(`${api.url}/recordings`);
      const stops: Pick<Focus, 'text' | 'id' | 'ring'>[] = [];
      for (let index = 0; index < 40; index += 1) {
        await page.keyboard.press('Tab');
        const stop = await focused(page);
        // Past the last stop focus leaves the page (body) or wraps round to the skip link.
        if (stop.tag === 'BODY' || (index > 0 && stop.text === '본문 바로가기')) break;
        stops.push({ text: stop.text || stop.id, id: stop.id, ring: stop.ring });
      }
      expect(stops.map((stop) => stop.id)).toEqual(expect.arrayContaining(['from', 'to', 'extension', 'department', 'otherParty', 'mode']));
      expect(stops.filter((stop) => stop.ring === 'none')).toEqual([]);
    });
  });
});
