/**
 * The whole system as `npm start` runs it (the compiled entry point, the real Temporal dev server
 * from tools/bin, SQLite under a data folder): up with every component green, a Korean landing page,
 * Ctrl-C stops every process, and a second start on the same data resumes the cases it had.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { HealthReport } from '../../api/health';
import { deadlineRemindersWorkflow, deadlineStatus } from '../../workflows/deadline-reminders';
import { freePort, portAnswers } from '../support/ports';
import { TestClient } from '../support/api';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(PROJECT_ROOT, 'dist', 'infra', 'main.js');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let dataDir: string;
let ports: { api: number; temporal: number; ui: number };
let running: Running | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'recording-system-'));
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});

afterAll(async () => {
  if (running && running.child.exitCode === null) await stop(running);
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): Running {
  const child = spawn(process.execPath, [ENTRY], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      API_PORT: String(ports.api),
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_ADDRESS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, like a terminal's foreground job, so Ctrl-C can be sent to the group.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function healthWhenUp(system: Running): Promise<HealthReport> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (system.child.exitCode !== null) throw new Error(`system exited early:\n${system.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${ports.api}/health`);
      if (response.status === 200) return (await response.json()) as HealthReport;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`system did not become healthy:\n${system.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function withClient<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  try {
    return await body(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function stop(system: Running): Promise<number | null> {
  process.kill(-(system.child.pid as number), 'SIGINT');
  return system.exited;
}

test('first start: every component up, Korean login page, a demo user logs in, a case can be started', async () => {
  running = start();
  const health = await healthWhenUp(running);
  expect(health.state).toBe('up');
  expect(Object.keys(health.components).sort()).toEqual(
    ['database', 'directory', 'diskSpace', 'legalCalendar', 'masterKey', 'temporal', 'worker'].sort(),
  );
  expect(Object.values(health.components).every((component) => component.state === 'up')).toBe(true);

  // A newcomer opens the address, is sent to the Korean login page, and logs in as a demo user.
  const browser = new TestClient(`http://127.0.0.1:${ports.api}`);
  const entry = await browser.request('GET', '/');
  expect(entry.status).toBe(303);
  expect(entry.headers.get('location')).toBe('/login?next=%2F');
  const login = await browser.request('GET', '/login');
  expect(login.headers.get('content-type')).toMatch(/text\/html/);
  const loginHtml = await login.text();
  expect(loginHtml).toContain('<html lang="ko">');
  expect(loginHtml).toContain('광명시 행정전화 녹취시스템');
  expect((await browser.login('choi.chief')).status).toBe(200);
  const dashboard = await (await browser.request('GET', '/')).text();
  expect(dashboard).toContain('최과장');
  expect(dashboard).toContain('전체 정상');
  expect(await portAnswers(ports.ui)).toBe(true);

  await withClient(async (client) => {
    const handle = await client.workflow.start(deadlineRemindersWorkflow, {
      taskQueue: 'recording',
      workflowId: 'system-test-form3',
      args: [
        {
          caseType: 'DisclosureRequest',
          caseId: '2026-0099',
          title: '관리번호 2026-0099 파기 결과 회신서 제출',
          startedAt: new Date().toISOString(),
          period: '30d',
          reminderDaysBefore: [7, 1],
          escalationAfterDays: 3,
          recipient: { channel: 'email', address: 'recipient@example.test' },
          escalateTo: { channel: 'in_app', address: 'chief' },
        },
      ],
    });
    for (let tries = 0; tries < 50; tries += 1) {
      if ((await handle.query(deadlineStatus)).state === 'waiting') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await handle.query(deadlineStatus)).state).toBe('waiting');
  });
});

test('Ctrl-C stops every process the system started', async () => {
  expect(await stop(running!)).toBe(0);
  expect(await portAnswers(ports.api)).toBe(false);
  expect(await portAnswers(ports.temporal)).toBe(false);
  expect(await portAnswers(ports.ui)).toBe(false);
});

test('a second start on the same data resumes: same key, no migration re-run, the case still waiting', async () => {
  const key = readFileSync(path.join(dataDir, 'keys', 'master.key'), 'utf8');
  running = start();
  expect((await healthWhenUp(running)).state).toBe('up');
  expect(readFileSync(path.join(dataDir, 'keys', 'master.key'), 'utf8')).toBe(key);
  expect(running.output()).toContain('"migrationsApplied":[]');

  await withClient(async (client) => {
    const handle = client.workflow.getHandle('system-test-form3');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const status = await handle.query(deadlineStatus);
    expect(status.state).toBe('waiting');
    expect(status.plan?.lastDay).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
  expect(await stop(running)).toBe(0);
});

test('an invalid setting stops start-up with a message naming it, and starts nothing', async () => {
  const child = spawn(process.execPath, [ENTRY], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, RETENTION_PERIOD: '30 days', API_PORT: String(ports.api) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toContain('RETENTION_PERIOD: 기간은 30d, 6m, 1y 처럼 적습니다');
  expect(await portAnswers(ports.api)).toBe(false);
});

test('after a kill -9 the dev server is left behind; the next start stops it and resumes the case', async () => {
  running = start();
  await healthWhenUp(running);
  running.child.kill('SIGKILL');
  await running.exited;
  // The orphan still holds the Temporal port: this is what a restart must cope with.
  expect(await portAnswers(ports.temporal)).toBe(true);

  running = start();
  expect((await healthWhenUp(running)).state).toBe('up');
  expect(running.output()).toContain('stopping the Temporal dev server a killed run left behind');
  await withClient(async (client) => {
    expect((await client.workflow.getHandle('system-test-form3').describe()).status.name).toBe('RUNNING');
  });
  expect(await stop(running)).toBe(0);
  expect(await portAnswers(ports.temporal)).toBe(false);
});
