/**
 * The capture appliance's RTSP port under attack (issue 22): a stranger guessing a device password online, a captured
 * Digest header replayed, and idle connections crowding the PBX out. 127.0.0.1 is the PBX, listed in the trusted
 * addresses (CAPTURE_RTSP_TRUSTED_ADDRESSES); 127.0.0.2 to 127.0.0.9 are strangers — Linux routes all of 127/8 to the
 * loopback, so a client socket bound to one of them is a peer at that address. What an operator would see is checked:
 * the PBX's calls recorded, /metrics, the audit chain.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMonitor } from '../../api/monitoring';
import type { CaptureControlClient } from '../../capture/control-client';
import { answerChallenge } from '../../capture/digest';
import { formatRequest, RtspParser, type RtspResponse } from '../../capture/rtsp-message';
import { AuditEvent } from '../../infra/db/entities';
import { playForViewing } from '../support/grants';
import { DEVICE, seedFullRecordingExtension, startTestAppliance } from '../support/appliance';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';

const PBX = '127.0.0.1';
const STRANGERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'];
const EXTENSION = '02-2680-2200';

/** A raw RTSP peer at a chosen local address: requests written as given (pipelined if many), answers in order. */
class Peer {
  private readonly parser = new RtspParser();
  readonly responses: RtspResponse[] = [];
  private waiting: { count: number; resolve: () => void } | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      for (const message of this.parser.push(chunk)) if (message.kind === 'response') this.responses.push(message);
      if (this.waiting && this.responses.length >= this.waiting.count) this.waiting.resolve();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async connect(port: number, localAddress: string): Promise<Peer> {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Peer(socket);
  }

  /** Writes the requests at once and resolves to their answers. */
  async send(requests: readonly Buffer[]): Promise<RtspResponse[]> {
    const from = this.responses.length;
    const answered = new Promise<void>((resolve) => (this.waiting = { count: from + requests.length, resolve }));
    this.socket.write(Buffer.concat(requests));
    await answered;
    return this.responses.slice(from);
  }
}

const options = (uri: string, cseq: number, authorization?: string) =>
  formatRequest('OPTIONS', uri, { CSeq: String(cseq), ...(authorization === undefined ? {} : { Authorization: authorization }) });

/** /metrics as the API builds it from the appliance's health: the value of an unlabelled sample. */
async function metric(capture: CaptureControlClient, db: TestDatabase, name: string): Promise<number | undefined> {
  const text = await createMonitor({ orm: db.orm, health: {}, capture }).scrape();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  await seedFullRecordingExtension(db.orm, { code: 'SEC', name: '정보통신과' }, EXTENSION);
});
afterAll(() => db?.dispose());

test('5,000 guesses pipelined by a stranger: a few answered slowly, then the connection closed and the address refused, while the PBX records under the device name guessed; counted in /metrics, one audit entry', async () => {
  const capture = await startTestAppliance(db.orm, { trustedAddresses: [PBX] });
  try {
    const port = capture.appliance.rtspPort;
    const uri = `rtsp://127.0.0.1:${port}/calls/guessing`;
    const guesser = await Peer.connect(port, STRANGERS[0] as string);
    const [first] = await guesser.send([options(uri, 0)]);
    const challenge = first?.headers.get('www-authenticate') as string;
    const guesses = Array.from({ length: 5000 }, (_, index) =>
      options(uri, index + 1, answerChallenge(challenge, { username: DEVICE.username, password: `guess ${index}` }, 'OPTIONS', uri, index + 1)),
    );
    guesser.socket.write(Buffer.concat(guesses));
    await sleep(2000);
    // Unthrottled, all 5,000 were answered in 0.4 s; now each failure's answer waits 0.25, 0.5, 1, 2 s.
    expect(guesser.responses.length - 1).toBeLessThanOrEqual(4);
    await guesser.closed;
    expect(guesser.responses.slice(1).map((response) => response.status)).toEqual([401, 401, 401, 401, 403]);

    // Blocked: refused before a byte is read, even with the right password.
    const back = await Peer.connect(port, STRANGERS[0] as string);
    await back.closed;
    expect(back.responses.map((response) => response.status)).toEqual([403]);

    // The stranger was guessing the PBX's device name: the PBX, at its trusted address, is not locked out.
    await capture.record({ callId: 'after-guessing', extension: EXTENSION });

    expect(await metric(capture.clients.api, db, 'telrec_capture_rtsp_auth_failures_total')).toBe(5);
    expect(await metric(capture.clients.api, db, 'telrec_capture_rtsp_auth_blocks_total')).toBe(1);
    expect(await metric(capture.clients.api, db, 'telrec_capture_rtsp_auth_refused_blocked_total')).toBe(1);
  } finally {
    // Written at stop: what was counted since the last minute's summary is not lost.
    await capture.close();
  }
  const entries = await db.orm.em.fork().find(AuditEvent, { action: 'rtsp.auth_failures' });
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ actor: 'system:capture', sourceAddress: STRANGERS[0], targetType: 'rtsp_source', targetId: STRANGERS[0] });
  expect(JSON.parse((entries[0] as AuditEvent).detail)).toMatchObject({ failures: 5, refusedWhileBlocked: 1, blocked: true, devices: [DEVICE.username] });
});

test('a captured Digest header replayed after 20,000 nonces have been issued and used is refused', async () => {
  const capture = await startTestAppliance(db.orm, { trustedAddresses: [PBX] });
  try {
    const port = capture.appliance.rtspPort;
    const uri = `rtsp://127.0.0.1:${port}/calls/replay`;
    const pbx = await Peer.connect(port, PBX);
    let cseq = 0;
    /** Fresh challenges, each answered once with count 1: the nonces of `count` PBX requests. */
    const useNonces = async (count: number): Promise<string[]> => {
      const challenges = await pbx.send(Array.from({ length: count }, () => options(uri, ++cseq)));
      const answers = challenges.map((challenge) => answerChallenge(challenge.headers.get('www-authenticate') as string, DEVICE, 'OPTIONS', uri, 1) as string);
      const statuses = (await pbx.send(answers.map((answer) => options(uri, ++cseq, answer)))).map((response) => response.status);
      expect(statuses.every((status) => status === 200)).toBe(true);
      return answers;
    };
    const [captured] = await useNonces(1);
    const replay = async () => {
      const attacker = await Peer.connect(port, STRANGERS[1] as string);
      const [answer] = await attacker.send([options(uri, 1, captured)]);
      attacker.socket.destroy();
      return answer;
    };
    expect(await replay()).toMatchObject({ status: 401 });
    for (let done = 0; done < 20_000; done += 1000) await useNonces(1000);
    const late = await replay();
    expect(late?.status).toBe(401);
    expect(late?.headers.get('www-authenticate')).toMatch(/stale=true/);
    expect(await metric(capture.clients.api, db, 'telrec_capture_rtsp_auth_replays_total')).toBe(1);
    pbx.socket.destroy();
  } finally {
    await capture.close();
  }
});

test("200 idle connections from each of eight strangers and from behind the PBX's own address do not stop the PBX's call from being recorded", async () => {
  const capture = await startTestAppliance(db.orm, { trustedAddresses: [PBX] });
  const peers: Peer[] = [];
  try {
    const port = capture.appliance.rtspPort;
    const server = capture.appliance.server;
    for (const address of [...STRANGERS, PBX]) peers.push(...(await Promise.all(Array.from({ length: 200 }, () => Peer.connect(port, address)))));
    await eventually(() => server.stats.connections + server.stats.connectionsRefused + server.stats.connectionsEvicted >= peers.length, {
      within: '5s',
      what: 'every connection taken, refused or evicted',
    });
    // Strangers share a quarter of the 1,000 slots; the PBX's address keeps 128 unauthenticated, the newest.
    expect(server.stats.connections).toBeLessThanOrEqual(250 + 128);
    expect(server.stats.connectionsEvicted).toBe(200 - 128);
    await capture.record({ callId: 'crowded-out', extension: EXTENSION });
    expect(await metric(capture.clients.api, db, 'telrec_capture_rtsp_connections_refused_total')).toBe(8 * 200 - 250);
  } finally {
    for (const peer of peers) peer.socket.destroy();
    await capture.close();
  }
});

test("control API requests without the right token are refused and summed per address into one audit entry with the client's address", async () => {
  const capture = await startTestAppliance(db.orm, { trustedAddresses: [PBX] });
  try {
    for (const authorization of [undefined, 'Bearer wrong', 'Basic YWRtaW46YWRtaW4=']) {
      const response = await fetch(`http://127.0.0.1:${capture.appliance.controlPort}/extensions/${EXTENSION}`, {
        headers: authorization === undefined ? {} : { Authorization: authorization },
      });
      expect(response.status).toBe(401);
    }
    expect(await capture.clients.api.health()).toMatchObject({ control: { unauthorized: 3 } });
  } finally {
    await capture.close();
  }
  const entries = await db.orm.em.fork().find(AuditEvent, { action: 'capture_control.unauthorized' });
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ actor: 'system:capture', sourceAddress: '127.0.0.1', targetType: 'control_client', targetId: '127.0.0.1' });
  expect(JSON.parse((entries[0] as AuditEvent).detail)).toMatchObject({ failures: 3, blocked: false });
});

test('a known client beyond its scope is refused 403, counted in /health and /metrics, and audited at once with its name and address', async () => {
  const capture = await startTestAppliance(db.orm, { trustedAddresses: [PBX] });
  try {
    const pbxPlays = playForViewing(capture.clients.pbx, '00000000-0000-4000-8000-000000000000', { managementNumber: '2026-0001', onBehalfOf: 'pbx' });
    await expect(pbxPlays).rejects.toMatchObject({ code: 'CLIENT_NOT_ALLOWED', status: 403, message: expect.stringContaining('권한이 없습니다') });
    await expect(capture.clients.worker.recordButton('scope-call', 'start')).rejects.toMatchObject({ code: 'CLIENT_NOT_ALLOWED', status: 403 });
    await expect(capture.clients.pbx.setExtensionMode(EXTENSION, { mode: 'selective', onBehalfOf: 'pbx', reason: '시험' })).rejects.toMatchObject({
      code: 'CLIENT_NOT_ALLOWED',
    });
    // On the record before the appliance stops, one entry per refusal: not summed like strangers' guesses.
    const entries = await db.orm.em.fork().find(AuditEvent, { action: 'capture_control.refused' }, { orderBy: { seq: 'asc' } });
    expect(entries.map((entry) => [entry.actor, entry.sourceAddress, entry.targetType, entry.targetId])).toEqual([
      ['capture-client:pbx', '127.0.0.1', 'control_route', 'POST /recordings/<recording id>/viewing'],
      ['capture-client:worker', '127.0.0.1', 'control_route', 'POST /calls/<call id>/record-button'],
      ['capture-client:pbx', '127.0.0.1', 'control_route', 'PUT /extensions/<number>/mode'],
    ]);
    expect(await capture.clients.api.health()).toMatchObject({ control: { notAllowed: 3, unauthorized: 0 } });
    expect(await metric(capture.clients.api, db, 'telrec_capture_control_not_allowed_total')).toBe(3);
    // Nothing changed: the extension keeps its mode, no press is kept for the call.
    expect(await capture.clients.worker.extensionMode(EXTENSION)).toMatchObject({ mode: 'full' });
    expect(await capture.clients.api.health()).toMatchObject({ recordButton: { calls: 0 } });
  } finally {
    await capture.close();
  }
});
