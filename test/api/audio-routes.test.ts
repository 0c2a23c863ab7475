/**
 * R6 (Art. 8(2)): audio leaves the system only through the party's own export (R5) and the Art. 9 disclosure
 * procedure (the provision package; the viewing audio the appliance gives the API). Two proofs, over a real recording
 * in a real capture appliance:
 * - declared: every route of the API's route table and of the appliance's control API that may answer audio says so
 *   (`releasesAudio`), and the declarations are exactly the allow-list written out here — a new audio route fails
 *   until it is added, with its procedure, to this file;
 * - observed: every route is called as every role (and no login) with a request that passes validation, and every
 *   answer is classified by its type and its bytes (an office document the system wrote, XML parts only, is not
 *   audio); only the declared routes answer audio, only to the party, and only as an AES-encrypted ZIP — but for the
 *   appliance's viewing route, which answers the API (with the API's control token) the recording itself as a PCM WAV;
 * - scoped: every control route is called with every client's token (and none, and a wrong one) against the scope
 *   table written out here; only the clients it names get past it, every other is refused CLIENT_NOT_ALLOWED and
 *   audited with its name and address, so neither the PBX integration's nor the worker's token reaches any audio;
 * - granted: with the API's own token, an audio route releases nothing without a grant the back office signed for
 *   exactly that release (issue 18); each refusal has its code and is audited by the appliance.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuditEvent } from '../../infra/db/entities';
import { CAPTURE_CLIENTS, type CaptureClient } from '../../infra/keys';
import type { MikroORM } from '@mikro-orm/core';
import { ROLES } from '../../api/access';
import type { AudioRelease } from '../../api/routes';
import type { AudioRelease as ControlAudioRelease } from '../../capture/control-contract';
import { pcmWavOf } from '../../capture/party-export';
import { readWav } from '../../capture/wav';
import type { Recording } from '../../infra/db/entities';
import { loadSettings } from '../../infra/settings';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startTestAppliance, type TestAppliance } from '../support/appliance';
import { testGrant } from '../support/grants';
import type { GrantKind } from '../../infra/grants';
import { loggedIn, seedCalls, startTestApi, TestClient, type SeededCalls, type TestApi } from '../support/api';
import { type RoleId } from '../../domain/roles';

type Procedure = AudioRelease | ControlAudioRelease;
const ALLOWED_PROCEDURES: readonly Procedure[] = ['party-export', 'disclosure', 'announcement', 'viewing'];
/** Every route that may answer audio, and the procedure that allows it. */
const API_AUDIO_ROUTES: Record<string, AudioRelease> = {
  'POST /api/recordings/:id/export': 'party-export',
  'POST /recordings/:id/export': 'party-export',
  // No call's audio: the system's own prior-notice announcement (Art. 7), for the managing department to give the PBX.
  'GET /notice/announcement.wav': 'announcement',
  // The Art. 9 provision package as the managing department downloads it (api/disclosure.ts), sealed by the appliance.
  'GET /api/disclosure-requests/:id/package': 'disclosure',
  // Art. 9 viewing (열람): the approved call played in the managing department within the viewing window.
  'GET /api/disclosure-requests/:id/recordings/:recordingId/audio': 'disclosure',
};
const ANNOUNCEMENT = readFileSync(loadSettings({}).announcementAudioFile);
const CONTROL_AUDIO_ROUTES: Record<string, ControlAudioRelease> = {
  'POST /recordings/<recording id>/export': 'party-export',
  // The Art. 9 provision package (capture/disclosure-package.ts), ordered by the disclosure workflow.
  'POST /disclosure-packages': 'disclosure',
  // Art. 9 viewing (열람): unsealed because the browser plays it; only the API asks, and only under Art. 9.
  'POST /recordings/<recording id>/viewing': 'viewing',
};
const PASSWORD = 'Quiet-Harbor-2026';
/** The grant each control audio route needs, and the 관리번호 its example asks for (CONTROL_EXAMPLES). */
const CONTROL_GRANTS: Record<string, { kind: GrantKind; managementNumber?: string }> = {
  'POST /recordings/<recording id>/export': { kind: 'party-export' },
  'POST /disclosure-packages': { kind: 'provision', managementNumber: '2026-0001' },
  'POST /recordings/<recording id>/viewing': { kind: 'viewing', managementNumber: '2026-0001' },
};
/** The appliance's audit entries of a release, one per route. */
const RELEASED = ['recording.party_export_sealed', 'recording.disclosure_package_sealed', 'recording.viewing_audio_released'];

/** Which client's token may use each control route (issue 18): each the least its process calls. */
const CONTROL_SCOPES: Record<string, readonly CaptureClient[]> = {
  // The API's /health and /metrics; the capture supervisor of `npm start`, which runs with the worker's token.
  'GET /health': ['api', 'worker'],
  // The API shows it with the package verification page.
  'GET /package-public-key': ['api'],
  // The full-recording workflow's activity (activities/full-recording.ts) sets and reads back modes.
  'GET /extensions/<number>': ['worker'],
  'PUT /extensions/<number>/mode': ['worker'],
  // The PBX integration alone presses the button (in development the call generator, with the PBX's token).
  'POST /calls/<call id>/record-button': ['pbx'],
  // Retention (activities/retention.ts).
  'DELETE /recordings/<recording id>': ['worker'],
  // The daily retention inventory's walk of the store (issue 19), a worker activity.
  'POST /inventory': ['worker'],
  // The API, after it checked the official is the call's party (api/party-export.ts).
  'POST /recordings/<recording id>/export': ['api'],
  // The API, at the operator's step once the workflow allows it (api/disclosure-package.ts).
  'POST /disclosure-packages': ['api'],
  'POST /recordings/<recording id>/viewing': ['api'],
};

/**
 * A request for each control route that passes its validation; a control route missing here fails the suite.
 * `<recording id>` in a body is the walk's recording.
 */
const CONTROL_EXAMPLES: Record<string, unknown> = {
  'GET /health': undefined,
  'GET /package-public-key': undefined,
  'GET /extensions/<number>': undefined,
  'PUT /extensions/<number>/mode': { mode: 'selective', onBehalfOf: 'test:r6', reason: 'R6 점검' },
  'POST /calls/<call id>/record-button': { action: 'start' },
  'DELETE /recordings/<recording id>': undefined,
  'POST /inventory': { run: 'test:r6' },
  'POST /recordings/<recording id>/export': { password: PASSWORD },
  'POST /disclosure-packages': { managementNumber: '2026-0001', recordingIds: ['<recording id>'], password: PASSWORD, onBehalfOf: 'test:r6' },
  'POST /recordings/<recording id>/viewing': { managementNumber: '2026-0001', onBehalfOf: 'test:r6' },
};

const AUDIO_TYPE = /^(audio\/|video\/|application\/(zip|x-zip|x-zip-compressed|octet-stream|ogg|x-7z-compressed|x-tar|gzip)|multipart\/)/i;
const AUDIO_MAGIC = ['RIFF', 'PK\x03\x04', 'OggS', 'ID3', 'fLaC', '7z\xbc\xaf'].map((magic) => Buffer.from(magic, 'latin1'));

/** The ZIP's entries from its central directory (APPNOTE 4.3.12, 4.3.16): name, encryption flag and method. */
function zipEntries(zip: Buffer): { name: string; encrypted: number; method: number }[] {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  if (end < 0) throw new Error('not a ZIP: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  const entries: { name: string; encrypted: number; method: number }[] = [];
  for (let offset = zip.readUInt32LE(end + 16), index = 0; index < count; index++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`not a central directory entry at ${offset}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('latin1');
    // Bit 0 of the flags: encrypted.
    entries.push({ name, encrypted: zip.readUInt16LE(offset + 8) & 1, method: zip.readUInt16LE(offset + 10) });
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return entries;
}

const OFFICE_TYPES = [
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];
/** A form or ledger the system wrote: an office document of XML parts (and their folders) only, no media inside. */
function isOfficeDocument(type: string, body: Buffer): boolean {
  return OFFICE_TYPES.includes(type.split(';')[0] as string) && zipEntries(body).every((entry) => /(\.xml|\.rels|\/)$/.test(entry.name));
}

/** Whether an answer could carry audio: by its declared type, or by bytes that start or hold a sound or archive file. */
function carriesAudio(type: string, body: Buffer): boolean {
  if (isOfficeDocument(type, body)) return false;
  return AUDIO_TYPE.test(type) || AUDIO_MAGIC.some((magic) => body.subarray(0, magic.length).equals(magic)) || body.includes('WAVEfmt ');
}

/** The ZIP's entry names, each checked to be WinZip AES encrypted (method 99). */
function encryptedZipEntries(zip: Buffer): string[] {
  const entries = zipEntries(zip);
  for (const entry of entries) expect(entry).toEqual({ name: entry.name, encrypted: 1, method: 99 });
  return entries.map((entry) => entry.name);
}

type Who = RoleId | 'anonymous';

describe('R6: audio leaves only by the party export and the disclosure procedure', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let calls: SeededCalls;
  let capture: TestAppliance;
  let api: TestApi;
  let recording: Recording;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    orm = database.orm;
    calls = await seedCalls(orm);
    capture = await startTestAppliance(orm);
    recording = await capture.record({ callId: 'r6-staff-call', extension: calls.staffExtension.number });
    api = await startTestApi(orm, { capture: capture.clients.api });
  });
  afterAll(async () => {
    await api?.close();
    await capture?.close();
    await database?.dispose();
  });

  test('the routes that may answer audio are declared, and are exactly the allowed ones', () => {
    const declared = (routes: readonly { method: string; path: string; releasesAudio?: Procedure }[]) =>
      Object.fromEntries(
        routes.filter((route) => route.releasesAudio !== undefined).map((route) => [`${route.method.toUpperCase()} ${route.path}`, route.releasesAudio]),
      );
    for (const procedure of [...Object.values(declared(api.server.routes)), ...Object.values(declared(capture.appliance.controlRoutes))]) {
      expect(ALLOWED_PROCEDURES).toContain(procedure);
    }
    expect(declared(api.server.routes)).toEqual(API_AUDIO_ROUTES);
    expect(declared(capture.appliance.controlRoutes)).toEqual(CONTROL_AUDIO_ROUTES);
    // A new control route, or a client added to one, fails until this file's scope table says so.
    expect(Object.fromEntries(capture.appliance.controlRoutes.map((route) => [`${route.method} ${route.path}`, route.clients]))).toEqual(CONTROL_SCOPES);
    // Nothing is mounted on express beside the table, where no declaration would be seen.
    const stack = (api.server.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
    const mounted = stack
      .filter((layer) => layer.route)
      .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`));
    expect(mounted.sort()).toEqual(api.server.routes.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort());
  });

  test('every API route as every role: only the declared routes answer audio, only to the party, only sealed', async () => {
    const audio: string[] = [];
    const undeclared: string[] = [];
    for (const route of api.server.routes) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      for (const who of [...ROLES, 'anonymous'] as Who[]) {
        const client = who === 'anonymous' ? new TestClient(api.url) : await loggedIn(api.url, who);
        if (who === 'anonymous' && route.method !== 'get') {
          client.csrfToken = (await client.json<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
        }
        const params: Record<string, string> = { id: recording.id, ...route.example?.params };
        const path = route.path.replace(/:([a-z]+)/g, (_match, name: string) => params[name] as string);
        const query = route.example?.query ? `?${new URLSearchParams(route.example.query).toString()}` : '';
        const body = route.example?.body;
        const response = await client.request(
          route.method.toUpperCase(),
          path + query,
          route.kind === 'api' ? { json: body } : { form: body as Record<string, string> | undefined },
        );
        const bytes = Buffer.from(await response.arrayBuffer());
        if (!carriesAudio(response.headers.get('content-type') ?? '', bytes)) continue;
        audio.push(`${key} as ${who}`);
        if (!route.releasesAudio) {
          undeclared.push(`${key} as ${who}: ${response.headers.get('content-type')}`);
          continue;
        }
        if (route.releasesAudio === 'announcement') {
          // Unsealed, so it must be the shipped announcement byte for byte, never anything a call left.
          expect(bytes.equals(ANNOUNCEMENT)).toBe(true);
          continue;
        }
        expect(response.headers.get('content-type')).toBe('application/zip');
        expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(encryptedZipEntries(bytes)).toEqual([expect.stringMatching(/^recording_[0-9_-]+\.wav$/)]);
        expect(bytes.includes('WAVEfmt ')).toBe(false);
      }
    }
    expect(undeclared).toEqual([]);
    // The walk did reach the export: the recording is jung.staff's, and only jung.staff got it.
    expect(audio.sort()).toEqual([
      'GET /notice/announcement.wav as chief',
      'GET /notice/announcement.wav as deputy',
      'GET /notice/announcement.wav as operator',
      'POST /api/recordings/:id/export as staff',
      'POST /recordings/:id/export as staff',
    ]);
  });

  test("every control API route with every client's token: only the scope's clients pass, the others are refused and audited; the party export and the provision package answer audio sealed, the viewing route the call as PCM, nothing else answers audio", async () => {
    const stored = await capture.appliance.store.openRecording(recording.storageKey as string, recording.wrappedKey as string);
    const viewingWav = await pcmWavOf(stored);
    const fill = (path: string) =>
      path.replace(/<([^>]+)>/g, (_match, name: string) => {
        const value = { number: calls.staffExtension.number, 'call id': 'r6-button', 'recording id': recording.id }[name];
        if (value === undefined) throw new Error(`no example for <${name}> in ${path}`);
        return encodeURIComponent(value);
      });
    const audio: string[] = [];
    const refusedAudits = () => orm.em.fork().find(AuditEvent, { action: 'capture_control.refused' }, { orderBy: { seq: 'asc' } });
    const auditedBefore = (await refusedAudits()).length;
    const refused: string[] = [];
    for (const route of capture.appliance.controlRoutes) {
      const key = `${route.method} ${route.path}`;
      expect(Object.keys(CONTROL_EXAMPLES)).toContain(key);
      const body = CONTROL_EXAMPLES[key];
      for (const client of [undefined, 'wrong', ...CAPTURE_CLIENTS] as const) {
        const token = client === undefined || client === 'wrong' ? client : capture.tokens[client];
        // An audio route gets a grant that covers it: what stops a client here is its token and scope alone.
        const grant = CONTROL_GRANTS[key];
        const response = await fetch(`${capture.controlUrl}${fill(route.path)}`, {
          method: route.method,
          headers: {
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...(grant ? { 'X-Grant': testGrant(grant.kind, [recording.id], grant) } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body).replaceAll('<recording id>', recording.id),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        const code = () => (JSON.parse(bytes.toString('utf8')) as { error?: { code: string } }).error?.code;
        if (client === undefined || client === 'wrong') expect([response.status, code()]).toEqual([401, 'UNAUTHORIZED']);
        else if (!(CONTROL_SCOPES[key] ?? []).includes(client)) {
          expect([response.status, code()]).toEqual([403, 'CLIENT_NOT_ALLOWED']);
          refused.push(`${client} ${key}`);
        } else expect([401, 403]).not.toContain(response.status);
        if (!carriesAudio(response.headers.get('content-type') ?? '', bytes)) {
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          continue;
        }
        audio.push(`${key} as ${client ?? 'no token'}`);
        expect(route.releasesAudio).toBeDefined();
        if (route.releasesAudio === 'viewing') {
          // Unsealed for the browser, so it must be exactly the walk's call as 16-bit PCM, nothing added, never cached.
          expect(response.headers.get('content-type')).toBe('audio/wav');
          expect(response.headers.get('content-disposition')).toBe('inline');
          expect(response.headers.get('cache-control')).toBe('no-store');
          expect(response.headers.get('x-stored-audio-sha256')).toBe(recording.sha256);
          expect(readWav(bytes)).toMatchObject({ encoding: 'PCM16', channels: 2, sampleRate: 8000, sampleFrames: stored.sampleFrames });
          expect(bytes.equals(viewingWav)).toBe(true);
          continue;
        }
        expect(response.headers.get('content-type')).toBe('application/zip');
        const entries = encryptedZipEntries(bytes);
        if (route.releasesAudio === 'party-export') expect(entries).toHaveLength(1);
        // The call as one WAV beside the signed manifest, its signature and the note for the recipient.
        else if (route.releasesAudio === 'disclosure') expect(entries.filter((name) => /^recordings\/.+\.wav$/.test(name))).toHaveLength(1);
        else throw new Error(`${key}: no check written for releasesAudio '${route.releasesAudio}'`);
      }
    }
    // Only with the API's token: without a token, with a wrong one, the worker's or the PBX's, every route answered JSON.
    expect(audio).toEqual([
      'POST /recordings/<recording id>/export as api',
      'POST /disclosure-packages as api',
      'POST /recordings/<recording id>/viewing as api',
    ]);
    // Each refusal on the record at once, one entry each, naming the client, its address and the route.
    const audited = (await refusedAudits()).slice(auditedBefore);
    expect(audited.map((entry) => `${entry.actor.replace('capture-client:', '')} ${entry.targetId}`)).toEqual(refused);
    for (const entry of audited) expect(entry).toMatchObject({ role: 'system', sourceAddress: '127.0.0.1', targetType: 'control_route' });
    expect(refused).toHaveLength(CAPTURE_CLIENTS.length * capture.appliance.controlRoutes.length - Object.values(CONTROL_SCOPES).flat().length);
    expect(await capture.clients.worker.health()).toMatchObject({ control: { notAllowed: refused.length } });
  });

  test("with the API's token, an audio route without a grant that covers it releases nothing: each refusal its GRANT_* code, audited", async () => {
    const other = '00000000-0000-4000-8000-000000000000';
    const foreignKey = generateKeyPairSync('ed25519').privateKey;
    const minutes = (count: number) => new Date(Date.now() + count * 60_000).toISOString();
    /** One character of the signed payload changed: still well-formed, no longer what was signed. */
    const tampered = (token: string) => `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    const released = () => orm.em.fork().count(AuditEvent, { action: { $in: RELEASED } });
    const grantAudits = () => orm.em.fork().find(AuditEvent, { action: 'capture_control.grant_refused' }, { orderBy: { seq: 'asc' } });
    const auditedBefore = (await grantAudits()).length;
    const releasedBefore = await released();
    const expected: { route: string; code: string; grantId: boolean }[] = [];
    const post = async (key: string, grant: string | undefined) => {
      const route = key.slice('POST '.length);
      const body = JSON.stringify(CONTROL_EXAMPLES[key]).replaceAll('<recording id>', recording.id);
      return fetch(`${capture.controlUrl}${route.replace('<recording id>', recording.id)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${capture.tokens.api}`, 'Content-Type': 'application/json', ...(grant === undefined ? {} : { 'X-Grant': grant }) },
        body,
      });
    };
    const refused = async (key: string, grant: string | undefined, code: string, grantId: boolean) => {
      const response = await post(key, grant);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect([key, response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([key, 403, code]);
      expect(await released()).toBe(releasedBefore);
      expected.push({ route: key, code, grantId });
    };

    for (const [key, { kind, managementNumber }] of Object.entries(CONTROL_GRANTS)) {
      const good = { managementNumber };
      await refused(key, undefined, 'GRANT_MISSING', false);
      await refused(key, 'not-a-grant', 'GRANT_MALFORMED', false);
      await refused(key, testGrant(kind, [recording.id], { ...good, notBefore: minutes(-10), notAfter: minutes(-5) }), 'GRANT_EXPIRED', true);
      await refused(key, testGrant(kind, [recording.id], { ...good, notBefore: minutes(5), notAfter: minutes(10) }), 'GRANT_NOT_YET_VALID', true);
      await refused(key, testGrant(kind, [other], good), 'GRANT_NOT_COVERING', true);
      await refused(key, testGrant(kind, [recording.id], { ...good, signingKey: foreignKey }), 'GRANT_SIGNATURE_INVALID', false);
      await refused(key, tampered(testGrant(kind, [recording.id], good)), 'GRANT_SIGNATURE_INVALID', false);
      await refused(key, testGrant(kind === 'viewing' ? 'provision' : 'viewing', [recording.id], good), 'GRANT_WRONG_KIND', true);
      // Art. 9: a grant of another case (관리번호) opens nothing of this one, even for the same recording.
      if (managementNumber) await refused(key, testGrant(kind, [recording.id], { managementNumber: '2026-0999' }), 'GRANT_NOT_COVERING', true);
    }

    // Single use: the party export and the package release once per grant, also to an appliance started afresh.
    const again = await startTestAppliance(orm);
    try {
      for (const key of ['POST /recordings/<recording id>/export', 'POST /disclosure-packages']) {
        const { kind, managementNumber } = CONTROL_GRANTS[key]!;
        const grant = testGrant(kind, [recording.id], { managementNumber });
        expect((await post(key, grant)).status).toBe(200);
        const releasedNow = await released();
        const response = await post(key, grant);
        expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([403, 'GRANT_ALREADY_USED']);
        const restarted = await fetch(`${again.controlUrl}${key.slice('POST '.length).replace('<recording id>', recording.id)}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${again.tokens.api}`, 'Content-Type': 'application/json', 'X-Grant': grant },
          body: JSON.stringify(CONTROL_EXAMPLES[key]).replaceAll('<recording id>', recording.id),
        });
        expect([restarted.status, ((await restarted.json()) as { error: { code: string } }).error.code]).toEqual([403, 'GRANT_ALREADY_USED']);
        expect(await released()).toBe(releasedNow);
        // Refused by each appliance, each refusal on the record.
        expected.push({ route: key, code: 'GRANT_ALREADY_USED', grantId: true }, { route: key, code: 'GRANT_ALREADY_USED', grantId: true });
      }
    } finally {
      await again.close();
    }

    // Every refusal on the record at once, in order: the client, the route, the code, and the grant once its signature held.
    const audited = (await grantAudits()).slice(auditedBefore).map((entry) => {
      const detail = JSON.parse(entry.detail) as { code: string; grantId: string | null };
      return { actor: entry.actor, role: entry.role, address: entry.sourceAddress, route: entry.targetId, code: detail.code, grantId: detail.grantId !== null };
    });
    expect(audited).toEqual(expected.map((refusal) => ({ actor: 'capture-client:api', role: 'system', address: '127.0.0.1', ...refusal })));
    // Counted by the appliance that refused them (two of them were the fresh appliance's).
    expect(await capture.clients.worker.health()).toMatchObject({ control: { grantRefused: expected.length - 2 } });
    expect(await capture.clients.worker.health()).toMatchObject({ control: { grantRefused: expected.length - 2 } });
  });
});
