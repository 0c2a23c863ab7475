/**
 * Art. 7 in the API and the UI: the managing department finds the announcement's text and its PBX-ready audio file,
 * and the dashboard of the managing department and auditors lists recent calls recorded without notice evidence —
 * newest first, bounded, each with its extension, department, time and what was missing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { wavHeader } from '../../capture/wav';
import { AuditEvent, Recording, type Extension } from '../../infra/db/entities';
import { loadSettings } from '../../infra/settings';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { loggedIn, seedCalls, startTestApi, type SeededCalls, type TestApi } from '../support/api';
import { type RecordingMode } from '../../domain/recording';

const settings = loadSettings({});
let database: TestDatabase;
let orm: MikroORM;
let calls: SeededCalls;
let api: TestApi;
const servers: TestApi[] = [];
const now = new Date();

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  orm = database.orm;
  calls = await seedCalls(orm, now);
  api = await startTestApi(orm);
  servers.push(api);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await database?.dispose();
});

/** A call registered with R3's exception `hours` ago. */
function flagged(callId: string, extension: Extension, hours: number, mode: RecordingMode): Recording {
  const startedAt = new Date(now.getTime() - hours * 3_600_000);
  const recording = new Recording(callId, extension, startedAt, 'inbound', mode, 'PCMU', new Date(startedAt.getTime() + 30 * 86_400_000));
  recording.complianceException = 'notice_missing';
  return recording;
}

const page = async (role: Parameters<typeof loggedIn>[1], url = '/') => (await (await loggedIn(api.url, role)).request('GET', url)).text();
const CARD = '사전고지 준수 예외 (제7조)';

describe('the dashboard card and its API (R3)', () => {
  test('with no exception the card says so', async () => {
    expect(await page('chief')).toContain('고지 증거 없이 녹음된 통화가 없습니다');
    const { body } = await (await loggedIn(api.url, 'auditor')).json('GET', '/api/compliance-exceptions');
    expect(body).toMatchObject({ total: 0, items: [] });
  });

  test('newest first, over the storage period only, 20 rows (more when asked) with the total; each row says what was missing', async () => {
    const em = orm.em.fork();
    const full = flagged('no-announcement', calls.headExtension, 1, 'full');
    const selective = flagged('button-no-notice', calls.staffExtension, 2, 'selective');
    const older = Array.from({ length: 21 }, (_, index) => flagged(`flagged-${index}`, calls.itExtension, 3 + index, 'selective'));
    em.persist([full, selective, ...older, flagged('last-month', calls.staffExtension, 24 * 31, 'full')]);
    await em.flush();

    const chief = await loggedIn(api.url, 'chief');
    const { status, body } = await chief.json<{ total: number; items: Record<string, unknown>[] }>('GET', '/api/compliance-exceptions');
    expect(status).toBe(200);
    expect(body.total).toBe(23);
    expect(body.items).toHaveLength(20);
    expect(body.items.slice(0, 2)).toEqual([
      {
        recordingId: full.id,
        startedAt: full.startedAt.toISOString(),
        extension: calls.headExtension.number,
        department: { code: calls.welfareDepartment.code, name: '복지정책과' },
        mode: 'full',
        exception: 'notice_missing',
        description: '전수 녹취 — 안내멘트 재생 증거 없음',
      },
      expect.objectContaining({ recordingId: selective.id, mode: 'selective', description: '선택적 녹취 — 녹음 버튼 사용 시 고지 증거 없음' }),
    ]);
    expect(body.items.map((item) => item.recordingId)).not.toContain(older[20]!.id);
    // More rows when asked; the window is the storage period (RETENTION_PERIOD), not a fixed 30 days.
    expect((await chief.json<{ items: unknown[] }>('GET', '/api/compliance-exceptions?limit=100')).body.items).toHaveLength(23);
    expect((await chief.json('GET', '/api/compliance-exceptions?limit=0')).status).toBe(400);
    const sixtyDays = await startTestApi(orm, { searchRangeDays: 60 });
    try {
      const longer = await (await loggedIn(sixtyDays.url, 'chief')).json<{ total: number }>('GET', '/api/compliance-exceptions');
      expect(longer.body.total).toBe(24);
    } finally {
      await sixtyDays.close();
    }

    const html = await page('operator');
    expect(html).toContain(CARD);
    expect(html).toContain('고지 증거 없이 녹음된 통화 23건 (최근 20건 표시)');
    // A link from the time to the recording, then the extension and the department, newest first.
    const first = html.indexOf(`<a href="/recordings/${full.id}">`);
    expect(first).toBeGreaterThan(0);
    expect(html.indexOf(calls.headExtension.number, first)).toBeGreaterThan(first);
    expect(html.indexOf(`<a href="/recordings/${selective.id}">`)).toBeGreaterThan(first);
    expect(html).toContain('<td>복지정책과</td><td>전수 녹취 — 안내멘트 재생 증거 없음</td>');
  });

  test('auditors see the card without links to recordings they may not open; other roles do not see it', async () => {
    const auditor = await page('auditor');
    expect(auditor).toContain(CARD);
    expect(auditor).toContain('고지 증거 없이 녹음된 통화 23건');
    expect(auditor).not.toContain('href="/recordings/');
    for (const role of ['staff', 'dept_head', 'records'] as const) expect(await page(role)).not.toContain(CARD);
  });

  test('each read is audited with the recordings it showed', async () => {
    const deputy = await loggedIn(api.url, 'deputy');
    await deputy.request('GET', '/');
    const [entry] = await orm.em.fork().find(AuditEvent, { actor: 'park.deputy', action: 'compliance_exceptions.read' });
    expect(entry).toMatchObject({ role: 'deputy', reason: '사전고지 준수 예외 조회' });
    expect(JSON.parse(entry!.detail)).toMatchObject({ total: 23, resultIds: expect.arrayContaining([expect.any(String)]) });
  });
});

describe('the announcement for the PBX', () => {
  test('the page shows the text and offers the shipped file, described as the PBX takes it', async () => {
    const html = await page('operator', '/notice');
    expect(html).toContain('<blockquote lang="ko">이 통화는 정확한 업무 처리를 위해 녹음됩니다.</blockquote>');
    expect(html).toContain('announcement-ko.wav 내려받기');
    expect(html).toMatch(/WAV, G\.711 μ-law, 8000 Hz, 모노, \d\.\d초/);

    const response = await (await loggedIn(api.url, 'deputy')).request('GET', '/notice/announcement.wav');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename=announcement-ko.wav');
    expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(settings.announcementAudioFile))).toBe(true);
  });

  test("a city's own text is shown; a file the PBX could not take, or none, is named and not offered", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'announcement-'));
    const wideband = path.join(folder, 'studio.wav');
    writeFileSync(wideband, Buffer.concat([wavHeader({ encoding: 'PCM16', channels: 2, sampleRate: 44_100 }, 4), Buffer.alloc(4)]));
    const text = '이 통화는 민원 응대 품질 향상을 위해 녹음됩니다.';
    for (const [audioFile, problem] of [
      [wideband, '교환기용 형식이 아닙니다: 16비트 PCM, 44100 Hz, 2채널'],
      [path.join(folder, 'missing.wav'), '설정된 음성 파일이 없습니다'],
    ] as const) {
      const server = await startTestApi(orm, { announcement: { text, audioFile } });
      servers.push(server);
      const chief = await loggedIn(server.url, 'chief');
      const html = await (await chief.request('GET', '/notice')).text();
      expect(html).toContain(text);
      expect(html).toContain(problem);
      expect(html).not.toContain('href="/notice/announcement.wav"');
      // A page route: the refusal is a Korean error page naming the setting.
      const download = await chief.request('GET', '/notice/announcement.wav');
      expect(download.status).toBe(404);
      expect(await download.text()).toContain('ANNOUNCEMENT_AUDIO_FILE');
    }
  });
});
