/**
 * Debian's Chromium driven by playwright-core: a real browser for the intranet UI. Each browser gets a
 * fresh profile (no cookies, cache or history from another test) that is removed when it closes. Under
 * `npm test` (REQUIRE_ALL_SUITES) or CI a missing Chromium is a failure, never a silent skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../infra/directory/development-directory';
import { type RoleId } from '../../domain/roles';
import { DEMO_BY_ROLE } from './api';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots are kept after a run (ignored by git) for a person to look at. */
export const SCREENSHOTS_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts', 'browser');

/**
 * No GPU, QUIC, sync, component updates or background requests: the browser talks to the API under
 * test and nothing else. Chromium will not start its sandbox as root, and these machines run the suites as root.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the browser suite can run; throws when it must run and cannot. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.REQUIRE_ALL_SUITES || process.env.CI) {
    throw new Error(`${CHROMIUM_PATH} is missing: the browser suite cannot run (npm test installs the Debian package chromium)`);
  }
  console.warn(`${CHROMIUM_PATH} is missing: the browser suite is skipped (apt-get install chromium)`);
  return false;
}

export interface TestBrowser {
  readonly context: BrowserContext;
  /** The page the browser opened with. */
  readonly page: Page;
  close(): Promise<void>;
}

export interface BrowserOptions {
  viewport?: { width: number; height: number };
}

/**
 * Playwright refuses `--user-data-dir` among the launch arguments, so the fresh profile is handed to
 * launchPersistentContext instead; the browser lives exactly as long as that context.
 */
export async function launchBrowser(options: BrowserOptions = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      // Playwright switches the back/forward cache off; officials' browsers have it, and it decides
      // what Back shows after logout.
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
      viewport: options.viewport ?? { width: 1280, height: 800 },
      // What an official's browser in the city hall sends and shows; dates on the pages come from the server.
      locale: 'ko-KR',
      timezoneId: 'Asia/Seoul',
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** What a browser did that a user or the security headers would object to, collected while tests run. */
export interface BrowserWatch {
  /** Console messages of level error, e.g. a resource the Content-Security-Policy blocked. */
  consoleErrors: string[];
  /** Uncaught exceptions in page scripts. */
  pageErrors: string[];
  /** Requests to anywhere but the API under test (a CDN font, an analytics beacon, a prefetch). */
  foreignRequests: string[];
}

const STATUS_ERROR = /^Failed to load resource: the server responded with a status of \d{3}\b/;

/**
 * Listens on the whole context, so a page opened by a link is watched too. Chromium reports a page
 * answered with 401/403/404 as a console error; that status is the page itself, which the tests check,
 * so it is not counted — a stylesheet, script or icon answered that way is.
 */
export function watchBrowser(context: BrowserContext, origin: string): BrowserWatch {
  const watch: BrowserWatch = { consoleErrors: [], pageErrors: [], foreignRequests: [] };
  const documents = new Set<string>();
  context.on('request', (request) => {
    if (request.isNavigationRequest()) documents.add(request.url());
    if (new URL(request.url()).origin !== origin) watch.foreignRequests.push(`${request.method()} ${request.url()}`);
  });
  context.on('console', (message) => {
    if (message.type() !== 'error') return;
    const source = message.location().url;
    if (STATUS_ERROR.test(message.text()) && documents.has(source)) return;
    watch.consoleErrors.push(`${message.page()?.url() ?? '?'}: ${message.text()} (${source})`);
  });
  context.on('weberror', (error) => watch.pageErrors.push(`${error.page()?.url() ?? '?'}: ${error.error().message}`));
  return watch;
}

/** Saves the whole page as `test-artifacts/browser/<name>.png` and returns the path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The way an official logs in: the labelled fields, then Enter. */
export async function submitLogin(page: Page, origin: string, username: string, password: string): Promise<void> {
  await page.goto(`${origin}/login`);
  await page.getByLabel('사용자 이름').fill(username);
  await page.getByLabel('비밀번호').fill(password);
  await page.getByLabel('비밀번호').press('Enter');
  await page.waitForLoadState();
}

/** Logs in as the role's demo user and waits for the dashboard. */
export async function logInAs(page: Page, origin: string, role: RoleId): Promise<void> {
  await submitLogin(page, origin, DEMO_BY_ROLE[role], DEMO_PASSWORD);
  await page.waitForURL(`${origin}/`);
}

/**
 * For a describe block: browsers opened through the returned function are closed after each test, and the test
 * fails if one of them logged a console error, threw in a page script, or requested anything outside `origin()`.
 */
export function watchedBrowsers(origin: () => string): (viewport?: { width: number; height: number }) => Promise<Page> {
  let opened: { browser: TestBrowser; watch: BrowserWatch }[] = [];
  afterEach(async () => {
    const watches = opened.map((entry) => entry.watch);
    await Promise.all(opened.map((entry) => entry.browser.close()));
    opened = [];
    for (const watch of watches) expect(watch).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [] });
  });
  return async (viewport) => {
    const browser = await launchBrowser({ viewport });
    opened.push({ browser, watch: watchBrowser(browser.context, origin()) });
    return browser.page;
  };
}

/** The cells of a details table's row, found by its row header (e.g. `상태`). */
export function rowCells(page: Page, label: string) {
  return page
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: label, exact: true }) })
    .getByRole('cell');
}

/** Workflows act asynchronously: reloads the page until `check` holds, for up to 15 seconds. */
export async function reloadUntil(page: Page, check: () => Promise<boolean>, explain: () => Promise<string>): Promise<void> {
  for (const deadline = Date.now() + 15_000; ; await page.waitForTimeout(200)) {
    await page.reload();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(await explain());
  }
}

/** Reloads until the details table's row (e.g. `상태`) reads `text`. */
export function untilRow(page: Page, label: string, text: string): Promise<void> {
  const cells = () => rowCells(page, label).textContent();
  return reloadUntil(
    page,
    async () => (await cells())?.includes(text) ?? false,
    async () => `${label} never showed ${text}: ${await cells()}`,
  );
}
