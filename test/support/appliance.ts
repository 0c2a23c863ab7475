/**
 * A real capture appliance (RTSP server, encrypted store, registration, control API) over a test database, and our
 * own RTSP client pushing calls into it, for the suites that need recordings with real files behind them.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { startAppliance, type Appliance } from '../../capture/appliance';
import { CaptureControlClient } from '../../capture/control-client';
import { pushCall } from '../../capture/rtsp-push';
import { SAMPLES_PER_PACKET } from '../../capture/rtsp-client';
import type { Party } from '../../capture/sdp';
import { newDataKey } from '../../infra/crypto/envelope';
import { Department, Extension, Recording } from '../../infra/db/entities';
import { loadLegalCalendar } from '../../infra/holidays';
import { createLogger } from '../../infra/logger';
import { CAPTURE_CLIENTS, type CaptureClient } from '../../infra/keys';
import { loadSettings } from '../../infra/settings';
import { TEST_GRANT_KEYS } from './grants';
import { freePort } from './ports';
import { type Codec } from '../../domain/recording';
import { eventually } from './eventually';
import { approveFullRecording } from './approvals';

export const DEVICE = { username: 'pbx-1', password: 'a device password' };

export interface TestAppliance {
  readonly appliance: Appliance;
  /** One control client per token, each limited to its scope: the API's, the worker's and the PBX integration's. */
  readonly clients: Readonly<Record<CaptureClient, CaptureControlClient>>;
  /** For requests the clients would not make (no token, a wrong one, a route outside a client's scope). */
  readonly controlUrl: string;
  readonly tokens: Readonly<Record<CaptureClient, string>>;
  readonly dataDir: string;
  /** The public half of the key the appliance signs provision packages with (PEM), as the city would publish it. */
  readonly packagePublicKeyPem: string;
  /** Pushes a call at real time and waits for its registered recording. */
  record(call: { callId: string; extension: string; codec?: Codec; durationMs?: number }): Promise<Recording>;
  /**
   * ffmpeg pushes a second of tone as the PBX would, the call's metadata in the URL and no record button; resolves to
   * the registered recording, or undefined if none was registered (a selective call without its button).
   */
  pushWithFfmpeg(call: { callId: string; extension: string; notice?: string }): Promise<Recording | undefined>;
  close(): Promise<void>;
}

/** A fresh token for each control API client, as the three token files would hold them. */
export function controlTokens(): Record<CaptureClient, string> {
  return Object.fromEntries(CAPTURE_CLIENTS.map((client) => [client, randomBytes(32).toString('base64url')])) as Record<CaptureClient, string>;
}

/** Every G.711 code turns up on both channels, each party with its own sequence. */
export function testAudio(party: Party, index: number): Uint8Array {
  return Uint8Array.from({ length: SAMPLES_PER_PACKET }, (_, sample) =>
    party === 'official' ? (index * 7 + sample) & 0xff : (255 - sample - index * 3) & 0xff,
  );
}

/**
 * `dataDir` and `masterKey` for suites that look at the store afterwards (backup, key rotation): a given folder is the
 * caller's and is left in place on close. `trustedAddresses` for the suites that tell the PBX from strangers.
 */
export async function startTestAppliance(
  orm: MikroORM,
  options: { dataDir?: string; masterKey?: Buffer; trustedAddresses?: readonly string[] } = {},
): Promise<TestAppliance> {
  const logger = createLogger({ component: 'appliance-test' }, 'error');
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'appliance-'));
  const tokens = controlTokens();
  const first = (await freePort()) & ~1;
  const signing = generateKeyPairSync('ed25519');
  const appliance = await startAppliance({
    dataDir,
    masterKey: options.masterKey ?? newDataKey(),
    orm,
    calendar: await loadLegalCalendar('Asia/Seoul'),
    retentionPeriod: loadSettings({}).retentionPeriod,
    logger,
    rtsp: {
      host: '127.0.0.1',
      port: 0,
      rtpPorts: { first, last: first + 31 },
      sessionTimeoutMs: 10_000,
      devices: new Map([[DEVICE.username, DEVICE.password]]),
      trustedAddresses: options.trustedAddresses,
    },
    control: { port: await freePort(), tokens },
    provision: { signingKey: signing.privateKey, municipalityName: '광명시' },
    grantPublicKey: TEST_GRANT_KEYS.publicKey,
  });
  const controlUrl = `http://127.0.0.1:${appliance.controlPort}`;
  const clients = Object.fromEntries(
    CAPTURE_CLIENTS.map((client) => [client, new CaptureControlClient({ baseUrl: controlUrl, token: tokens[client] })]),
  ) as Record<CaptureClient, CaptureControlClient>;
  return {
    appliance,
    clients,
    controlUrl,
    tokens,
    dataDir,
    packagePublicKeyPem: signing.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    async record({ callId, extension, codec = 'PCMU', durationMs = 1200 }) {
      await clients.pbx.recordButton(callId, 'start');
      await pushCall({
        url: `rtsp://127.0.0.1:${appliance.rtspPort}/calls/${callId}`,
        credentials: DEVICE,
        transport: 'tcp',
        logger,
        codec,
        metadata: { callId, extension, otherParty: '010-2222-3333', direction: 'inbound', notices: ['announcement:played'] },
        durationMs,
        audio: testAudio,
      });
      // Registration follows TEARDOWN's answer (which waits only for the file), then the store's acknowledgement.
      return eventually(
        async () => {
          const recording = await orm.em.fork().findOne(Recording, { callId }, { populate: ['extension', 'wrappedKey'] });
          return recording && (await appliance.store.unacknowledged()).found.length === 0 && recording;
        },
        { within: '10s', what: `call ${callId} registered` },
      );
    },
    async pushWithFfmpeg({ callId, extension, notice }) {
      const query = new URLSearchParams({ extension, 'other-party': '010-4444-5555', direction: 'inbound', ...(notice ? { notice } : {}) });
      const url = `rtsp://${DEVICE.username}:${encodeURIComponent(DEVICE.password)}@127.0.0.1:${appliance.rtspPort}/calls/${callId}?${query.toString()}`;
      const before = appliance.server.stats;
      // Asynchronously: the appliance answering ffmpeg runs in this very process.
      const child = spawn(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-re',
          '-f',
          'lavfi',
          '-i',
          'sine=frequency=440:duration=1',
          '-c:a',
          'pcm_mulaw',
          '-ar',
          '8000',
          '-ac',
          '1',
          '-f',
          'rtsp',
          '-rtsp_transport',
          'tcp',
          url,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      if (code !== 0) throw new Error(`ffmpeg could not push ${callId}: ${stderr}`);
      // A call not recorded (selective, no button) was decided before TEARDOWN was answered: no recording started,
      // so none can be registered later, and there is nothing to wait for.
      if (appliance.server.stats.recordingsStarted === before.recordingsStarted) return undefined;
      return eventually(
        async () => {
          const recording = await orm.em.fork().findOne(Recording, { callId });
          return recording && (await appliance.store.unacknowledged()).found.length === 0 && recording;
        },
        { within: '10s', what: `call ${callId} registered` },
      );
    },
    async close() {
      await appliance.stop();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A department with one extension recording every call since yesterday, approved, for suites that push calls with ffmpeg. */
export async function seedFullRecordingExtension(orm: MikroORM, department: { code: string; name: string }, number: string): Promise<Extension> {
  const em = orm.em.fork();
  const extension = new Extension(number, new Department(department.code, department.name, 'department'));
  approveFullRecording(em, extension);
  em.persist([extension.department, extension]);
  await em.flush();
  return extension;
}
