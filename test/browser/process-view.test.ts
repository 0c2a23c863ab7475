/**
 * 처리 흐름도 in Chromium: the real bpmn-js viewer, served by the process-view routes themselves under the API's own
 * Content-Security-Policy, draws each lifecycle's model without a warning and marks the steps a workflow status names.
 * The page is a standalone one this test serves (the view's fragment in the common layout), so the test does not
 * depend on which case pages carry the view.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Page } from 'playwright-core';
import type { AuditBatcher } from '../../infra/audit/audit-log';
import { PROJECT_ROOT } from '../../infra/paths';
import type { Principal } from '../../api/access';
import { ApiError } from '../../api/errors';
import {
  PROCESS_VIEW_ASSETS,
  accessReviewSteps,
  disclosureSteps,
  fullRecordingSteps,
  processModel,
  processView,
  retentionSteps,
  type Lifecycle,
  type ProcessSteps,
} from '../../api/process-views';
import { processViewRoutes } from '../../api/route-table/process-views';
import { mountRoute, type RequestContext } from '../../api/routes';
import { CONTENT_SECURITY_POLICY } from '../../api/server';
import { page as layoutPage } from '../../api/ui/layout';
import { chromiumAvailable, saveScreenshot, watchedBrowsers } from '../support/browser';

const AUDITOR: Principal = { username: 'han.auditor', displayName: '한감사', roles: ['auditor'], departmentPath: ['감사담당관'] };
const STAFF: Principal = { username: 'jung.staff', displayName: '정주무관', roles: ['staff'], departmentPath: ['복지정책과'] };

/** One status per lifecycle, chosen so each draws a current step and several past ones, boundary events included. */
const CASES: { lifecycle: Lifecycle; steps: ProcessSteps; current: string; past: string[] }[] = [
  {
    lifecycle: 'full-recording',
    steps: fullRecordingSteps({
      state: 'active',
      signOffs: [],
      remindersSent: 1,
      applyAttempts: 0,
      appliedAt: '2026-11-02T00:00:00.000Z',
      renewals: [],
      refusals: [],
    }),
    current: 'active',
    past: ['start_applied', 'remindersSent', 'end_remindersSent', 'under_review', 'approved'],
  },
  {
    lifecycle: 'disclosure',
    steps: disclosureSteps(
      { state: 'awaiting_destruction_report', signOffs: [], remindersSent: 0, recordings: ['r1'], refusedRecordings: [], readinessProblems: [], refusals: [] },
      'provision',
      { state: 'escalated', remindersSent: [7, 1], overdueNoticeSent: true, repeatedReminders: 0, undelivered: [], escalated: true },
    ),
    current: 'awaiting_destruction_report',
    past: [
      'start_registered',
      'waiting',
      'end_waiting',
      'overdue',
      'end_overdue',
      'escalated',
      'end_escalated',
      'registered',
      'in_sign_off',
      'awaiting_handover',
      'released',
    ],
  },
  {
    lifecycle: 'retention',
    steps: retentionSteps({ day: '2026-10-01', dueAt: '2026-10-31T15:00:00.000Z', state: 'deleting', deleted: 500, batches: 1, held: 0 }),
    current: 'deleting',
    past: ['waiting'],
  },
  {
    lifecycle: 'access-review',
    steps: accessReviewSteps({ month: '2026-10', state: 'signed_off', remindersSent: 2 }),
    current: 'end_signed_off',
    past: ['start_monthly', 'remindersSent', 'end_remindersSent', 'preparing_report', 'awaiting_sign_off'],
  },
];

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('process view (bpmn-js) in Chromium', () => {
  let server: Server;
  let origin = '';

  beforeAll(async () => {
    const app = express();
    app.use(
      helmet({ contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY }, crossOriginResourcePolicy: { policy: 'same-origin' } }),
    );
    // What the API's request-context middleware would know: a logged-in auditor, who may read the models (or, asked
    // for by the test, an official who may not).
    app.use((req: Request, res: Response, next: NextFunction) => {
      const principal = req.query.as === 'staff' ? STAFF : AUDITOR;
      res.locals.context = { requestId: 'test', sourceAddress: '127.0.0.1', cookies: {}, principal } satisfies RequestContext;
      next();
    });
    // The routes read no database and write no audit entry; mounting them needs the options all the same.
    const options = { orm: { em: { fork: () => ({}) } } as unknown as MikroORM, audit: {} as AuditBatcher };
    for (const route of processViewRoutes()) mountRoute(app, route, options);
    const assets: Record<string, string> = {
      ...PROCESS_VIEW_ASSETS,
      'app.css': 'text/css; charset=utf-8',
      'app.js': 'text/javascript; charset=utf-8',
      'favicon.svg': 'image/svg+xml',
    };
    app.get('/assets/:name', (req, res, next) => {
      const type = assets[req.params.name];
      if (!type) return next();
      res.type(type).send(readFileSync(path.join(PROJECT_ROOT, 'api', 'public', req.params.name)));
    });
    app.get('/view/:lifecycle', (req, res, next) => {
      const view = CASES.find((item) => item.lifecycle === req.params.lifecycle);
      if (!view) return next();
      res.type('html').send(layoutPage({ municipalityName: '광명시' }, '처리 흐름도 시험', processView(view.lifecycle, view.steps)));
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = error instanceof ApiError ? error.status : 500;
      res.status(status).json({ code: error instanceof ApiError ? error.code : 'INTERNAL_ERROR' });
    });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  // Fails a test whose browser logged a console error (a CSP refusal is one), threw, or asked another origin.
  const openBrowser = watchedBrowsers(() => origin);

  /** The ids bpmn-js marked with a class, as the drawing has them. */
  const marked = (page: Page, marker: string) =>
    page.$$eval(`.djs-element.${marker}`, (elements) => elements.map((element) => element.getAttribute('data-element-id')));

  test.each(CASES)('$lifecycle: drawn without warnings, current and past steps marked', async ({ lifecycle, current, past }) => {
    const page = await openBrowser({ width: 1600, height: 900 });
    await page.goto(`${origin}/view/${lifecycle}`);
    const canvas = page.locator('[data-process-model]');
    await page.waitForSelector('[data-process-view-state="process-view-ready"], [data-process-view-state="failed"]', { timeout: 15_000 });
    expect(await canvas.getAttribute('data-process-view-warnings')).toBeNull();
    expect(await canvas.getAttribute('data-process-view-state')).toBe('process-view-ready');
    expect(await canvas.getAttribute('data-process-view-missing')).toBeNull();

    // Every element of the model was drawn, not only the marked ones.
    const drawn = new Set(await page.$$eval('.djs-element[data-element-id]', (elements) => elements.map((element) => element.getAttribute('data-element-id'))));
    // (The process itself is the canvas, not a drawn element.)
    const processId = lifecycle.replace('-', '_');
    for (const id of processModel(lifecycle).labels.keys()) if (id !== processId) expect(drawn).toContain(id);

    expect(await marked(page, 'process-view-current')).toEqual([current]);
    expect(new Set(await marked(page, 'process-view-past'))).toEqual(new Set(past));
    // The mark is visible, not only a class: the current step's outline is the marker's colour.
    const stroke = await page
      .locator(`.djs-element[data-element-id="${current}"] .djs-visual > :first-child`)
      .evaluate((shape) => (shape.ownerDocument.defaultView as { getComputedStyle(element: unknown): { stroke: string } }).getComputedStyle(shape).stroke);
    expect(stroke).toBe('rgb(179, 92, 0)');

    // The bpmn.io licence requires its watermark to stay visible.
    await expect(page.locator('.bjs-powered-by').isVisible()).resolves.toBe(true);
    // The same steps in words, for screen readers and browsers without scripts.
    const labels = processModel(lifecycle).labels;
    await expect(page.locator('.process-view-steps dd').first().textContent()).resolves.toBe(labels.get(current));
    await saveScreenshot(page, `process-view-${lifecycle}`);
  });

  test('the viewer is served from this server with a year-long cache, the models only to their readers', async () => {
    const html = await (await fetch(`${origin}/view/disclosure`)).text();
    const viewer = /src="(\/vendor\/bpmn-js\/[^"]+\.js)"/.exec(html)?.[1];
    expect(viewer).toMatch(/^\/vendor\/bpmn-js\/\d+\.\d+\.\d+\/bpmn-navigated-viewer\.production\.min\.js$/);
    const response = await fetch(`${origin}${viewer as string}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    // Another version's URL is not this file: it must not be cached under that name.
    expect((await fetch(`${origin}/vendor/bpmn-js/0.0.1/bpmn-navigated-viewer.production.min.js`)).status).toBe(400);

    const model = await fetch(`${origin}/api/process-models/retention`);
    expect(model.status).toBe(200);
    expect(model.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(await model.text()).toContain('<bpmn:process id="retention"');
    expect((await fetch(`${origin}/api/process-models/unknown`)).status).toBe(400);
    expect((await fetch(`${origin}/api/process-models/retention?as=staff`)).status).toBe(403);
  });
});
