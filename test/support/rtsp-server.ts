/**
 * A real RTSP server on loopback over a given recording store, accepting one device by Digest, for the suites that
 * push calls into it (our own client, ffmpeg, raw sockets); each suite overrides only what it tests.
 */
import type { RecordingStore } from '../../capture/recording-store';
import { RtspServer, type RtspServerOptions } from '../../capture/rtsp-server';
import { createLogger } from '../../infra/logger';
import { freePort } from './ports';

/** The one device the server accepts. */
export const DEVICE = { username: 'pbx-1', password: 'correct horse' };

/** Started on a free port (see `port`), with 32 RTP/RTCP port pairs; the caller stops it. */
export async function startTestRtspServer(store: RecordingStore, overrides: Partial<Omit<RtspServerOptions, 'store'>> = {}): Promise<RtspServer> {
  const first = (await freePort()) & ~1;
  const server = new RtspServer({
    store,
    logger: createLogger({ component: 'rtsp-test' }, 'error'),
    realm: 'gm-capture-test',
    devicePassword: (username) => (username === DEVICE.username ? DEVICE.password : undefined),
    port: 0,
    rtpPorts: { first, last: first + 63 },
    ...overrides,
  });
  await server.start();
  return server;
}
