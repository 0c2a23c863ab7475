/**
 * The capture appliance's process (Art. 4: it runs in the city hall telecom room, apart from the back office):
 *   node dist/app/capture-main.js
 * `npm start` starts it as a child of the system (app/system.ts); in production it is a service of its own on the
 * telecom room's host, with the same settings. It never migrates the database: it refuses to start until the
 * system has. SIGTERM or SIGINT hangs up the generator's calls, finishes every open recording and registers it.
 */
import { Extension } from '../infra/db/entities';
import { initOrm } from '../infra/db/orm';
import { loadLegalCalendar } from '../infra/holidays';
import { loadGrantPublicKey } from '../infra/grants';
import { CALL_GENERATOR_DEVICE, loadCaptureSecrets, loadPackageSigningKey, readMasterKey } from '../infra/keys';
import { createLogger } from '../infra/logger';
import { loadSettingsOrExit } from '../infra/settings';
import { connectClient } from '../infra/temporal/connection';
import { startRetentionDay } from '../infra/temporal/retention';
import type { Client } from '@temporalio/client';
import { startAppliance } from '../capture/appliance';
import { startCallGenerator, type CallGenerator } from '../capture/call-generator';
import { CaptureControlClient } from '../capture/control-client';

async function main(): Promise<void> {
  const settings = loadSettingsOrExit();
  const logger = createLogger({ service: 'capture' }, settings.logLevel);
  const masterKey = readMasterKey(settings.masterKeyFile);
  const secrets = loadCaptureSecrets(settings);
  // Only this process reads it: the appliance alone builds provision packages (the API and the worker never sign).
  const packageSigningKey = loadPackageSigningKey(settings);
  // The public half only: the appliance checks grants and can make none. Production refuses to start without it: an
  // appliance that cannot check grants would release audio or record in full on any say-so.
  const grantPublicKey = loadGrantPublicKey(settings);
  const orm = await initOrm(settings);
  const pending = await orm.getMigrator().getPendingMigrations();
  if (pending.length > 0) {
    await orm.close(true);
    throw new Error(`the database lacks ${pending.length} migration(s): start the system (npm start) first, which applies them`);
  }
  const calendar = await loadLegalCalendar(settings.timeZone);
  // Connected on first use: the appliance records even while Temporal is away, and hands the recordings on later
  // (a failed hand-off leaves the recording unacknowledged, and the next reconciliation repeats it).
  let temporal: Promise<Client> | undefined;
  const temporalClient = () => {
    temporal ??= connectClient(settings).catch((error: unknown) => {
      temporal = undefined;
      throw error;
    });
    return temporal;
  };
  const appliance = await startAppliance({
    dataDir: settings.dataDir,
    masterKey,
    orm,
    calendar,
    afterRegistered: async ({ recording }) => {
      await startRetentionDay(await temporalClient(), settings.temporalTaskQueue, calendar, recording);
    },
    retentionPeriod: settings.retentionPeriod,
    logger,
    rtsp: {
      host: settings.captureHost,
      port: settings.captureRtspPort,
      rtpPorts: settings.captureRtpPorts,
      sessionTimeoutMs: settings.captureSessionTimeoutSeconds * 1000,
      devices: secrets.devices,
      trustedAddresses: settings.captureRtspTrustedAddresses,
    },
    control: { port: settings.captureControlPort, tokens: secrets.controlTokens },
    provision: { signingKey: packageSigningKey, municipalityName: settings.municipalityName },
    grantPublicKey,
  });

  let generator: CallGenerator | undefined;
  const generatorPassword = secrets.devices.get(CALL_GENERATOR_DEVICE);
  if (settings.callGenerator && generatorPassword) {
    generator = startCallGenerator({
      rtspBaseUrl: `rtsp://127.0.0.1:${appliance.rtspPort}`,
      device: { username: CALL_GENERATOR_DEVICE, password: generatorPassword },
      // The PBX integration's token: the generator presses the record button as the PBX would, and can do nothing else.
      control: new CaptureControlClient({ baseUrl: `http://127.0.0.1:${appliance.controlPort}`, token: secrets.controlTokens.pbx }),
      intervalMs: settings.callGeneratorIntervalSeconds * 1000,
      extensions: async () => (await orm.em.fork().find(Extension, {}, { fields: ['number', 'mode'] })).map(({ number, mode }) => ({ number, mode })),
      logger,
    });
  } else if (settings.callGenerator) {
    logger.warn(`call generator not started: no device "${CALL_GENERATOR_DEVICE}" in ${settings.captureDevicesFile}`);
  }

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('capture stopping', { reason });
    try {
      await generator?.stop();
      await appliance.stop();
      await orm.close(true);
      if (temporal) await (await temporal.catch(() => undefined))?.connection.close();
    } finally {
      masterKey.fill(0);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  watchParent(() => void stop('the system that started it is gone'));
}

/** Started by `npm start`: when that process dies without stopping us (kill -9), we stop too. */
function watchParent(onGone: () => void): void {
  const parent = Number(process.env.CAPTURE_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 1) return;
  // An orphan is re-parented (to init or a subreaper): a changed parent pid means ours is gone, even if its pid is reused.
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 1000);
  timer.unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`녹취 장치를 시작하지 못했습니다: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
