/**
 * The built-in call generator of the embedded development system (DESIGN: capture peers): it plays the PBX, so a
 * newcomer who runs `npm start` sees recordings appear. It is our own RTSP client (capture/rtsp-client.ts) pushing
 * calls into the appliance exactly as a PBX would — Digest credentials, metadata in the SDP, RTP at real time — and
 * pressing the record button through the control API for calls on selective extensions, as a phone's button would.
 *
 * What it rings: the extensions in the database. A call on a full extension carries the announcement's evidence,
 * except about one in ten, which the dashboard then shows as a compliance exception (R3); about half the calls on
 * selective extensions get the record button a moment after they start, the others leave nothing behind (R1). A
 * press brings its notice evidence — the PBX's short notice or the official's confirmation — except about one in
 * ten, the selective recordings the dashboard shows as exceptions.
 * The settings refuse it in production.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { type Codec, type RecordingMode } from '../domain/recording';
import type { Logger } from '../infra/logger';
import type { CaptureControlClient } from './control-client';
import type { DigestCredentials } from './digest';
import { pcm16ToG711 } from './g711';
import { G711_SAMPLE_RATE } from './rtp';
import { pushCall } from './rtsp-push';
import { SAMPLES_PER_PACKET } from './rtsp-client';
import type { Party } from './sdp';

export interface GeneratedExtension {
  readonly number: string;
  readonly mode: RecordingMode;
}

export interface CallGeneratorOptions {
  /** `rtsp://127.0.0.1:<port>` of the appliance. */
  readonly rtspBaseUrl: string;
  readonly device: DigestCredentials;
  readonly control: CaptureControlClient;
  /** A call is started this often. */
  readonly intervalMs: number;
  readonly extensions: () => Promise<readonly GeneratedExtension[]>;
  readonly logger: Logger;
  /** Call length range; 5–20 s by default. */
  readonly durationMs?: { readonly min: number; readonly max: number };
}

export interface CallGeneratorStats {
  started: number;
  completed: number;
  failed: number;
  buttonPresses: number;
}

export interface CallGenerator {
  readonly stats: Readonly<CallGeneratorStats>;
  /** Hangs up the calls in progress (each is torn down properly) and starts no more. */
  stop(): Promise<void>;
}

const TONE_AMPLITUDE = 6000;

export function startCallGenerator(options: CallGeneratorOptions): CallGenerator {
  const logger = options.logger.child({ component: 'call-generator' });
  const stats: CallGeneratorStats = { started: 0, completed: 0, failed: 0, buttonPresses: 0 };
  const hangUp = new AbortController();
  const inProgress = new Set<Promise<void>>();
  const range = options.durationMs ?? { min: 5_000, max: 20_000 };

  const oneCall = async (): Promise<void> => {
    const extensions = await options.extensions();
    if (extensions.length === 0) {
      logger.warn('no extensions in the database: no call generated');
      return;
    }
    const extension = extensions[randomInt(extensions.length)] as GeneratedExtension;
    const callId = `gen-${randomUUID()}`;
    const codec: Codec = randomInt(2) === 0 ? 'PCMU' : 'PCMA';
    const now = new Date();
    const notices = extension.mode === 'full' && randomInt(10) !== 0 ? [`announcement:played@${now.toISOString()}`] : [];
    const pressButton = extension.mode === 'selective' && randomInt(2) === 0;
    const tones = { official: 300 + randomInt(400), other: 200 + randomInt(300) };
    stats.started++;
    const call = pushCall({
      url: `${options.rtspBaseUrl}/calls/${callId}`,
      credentials: options.device,
      transport: randomInt(2) === 0 ? 'udp' : 'tcp',
      logger,
      codec,
      metadata: {
        callId,
        extension: extension.number,
        otherParty: `010-${1000 + randomInt(9000)}-${1000 + randomInt(9000)}`,
        direction: randomInt(2) === 0 ? 'inbound' : 'outbound',
        startedAt: now,
        notices,
      },
      durationMs: range.min + randomInt(range.max - range.min + 1),
      audio: (party, index) => speechLikeTone(codec, party, index, tones[party]),
      signal: hangUp.signal,
    });
    if (pressButton) {
      await delay(1_000 + randomInt(2_000), hangUp.signal);
      if (!hangUp.signal.aborted) {
        await options.control.recordButton(callId, 'start', { notice: buttonNotice() }).then(
          () => stats.buttonPresses++,
          (error: unknown) => logger.warn('record button press failed', { callId, error }),
        );
      }
    }
    await call;
    stats.completed++;
    logger.info('generated call ended', { callId, extension: extension.number, mode: extension.mode, recordButton: pressButton });
  };

  const tick = () => {
    const running = oneCall().catch((error: unknown) => {
      stats.failed++;
      logger.warn('generated call failed', { error });
    });
    inProgress.add(running);
    void running.finally(() => inProgress.delete(running));
  };
  const timer = setInterval(tick, options.intervalMs);
  // The first call at once, so a newcomer need not wait for the interval.
  tick();

  return {
    stats,
    async stop() {
      clearInterval(timer);
      hangUp.abort();
      await Promise.all([...inProgress]);
    },
  };
}

/** What the PBX reports with a press: its short notice played, the official's confirmation, or (one in ten) nothing. */
function buttonNotice(): string | undefined {
  const draw = randomInt(10);
  if (draw === 0) return undefined;
  return draw % 2 === 0 ? `announcement:played@${new Date().toISOString()}` : 'verbal:official-confirmed';
}

/** A tone that comes and goes about twice a second, so each party sounds like someone talking in turns. */
function speechLikeTone(codec: Codec, party: Party, packetIndex: number, frequency: number): Uint8Array {
  const samples = new Int16Array(SAMPLES_PER_PACKET);
  const first = packetIndex * SAMPLES_PER_PACKET;
  // The two parties take turns: one speaks while the other is quiet.
  const speaking = Math.floor(first / (G711_SAMPLE_RATE * 1.5)) % 2 === (party === 'official' ? 0 : 1);
  if (speaking) {
    for (let index = 0; index < samples.length; index++) {
      const t = (first + index) / G711_SAMPLE_RATE;
      const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 2 * t);
      samples[index] = Math.round(TONE_AMPLITUDE * envelope * Math.sin(2 * Math.PI * frequency * t));
    }
  }
  return pcm16ToG711(codec, samples);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
