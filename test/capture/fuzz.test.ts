/**
 * A bounded fuzz run of the capture parsers: valid RTP packets and SDP descriptions, mutated, for a fixed time
 * budget (FUZZ_MS, default 5000 ms in all), from a seed (FUZZ_SEED, default the clock) that fast-check prints with
 * any failure so it can be replayed: `FUZZ_SEED=<seed> npx jest test/capture/fuzz`.
 *
 * Asserted: no parser throws, and a receiver fed the whole run keeps its memory and its timeline bounded.
 */
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseRtp, parseTelephoneEvent, RtpStreamReceiver, serializeRtp } from '../../capture/rtp';
import { formatSdp, parseSdp, type SessionDescriptionFields } from '../../capture/sdp';

const BUDGET_MS = Number(process.env.FUZZ_MS ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const MAX_LEAD_MS = 2_000;

setFlagsFromString('--expose-gc');
/** The heap still in use after a full collection: what a run has retained, not what it has churned. */
function retainedHeap(): number {
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

function run(property: fc.IProperty<unknown[]>, share: number): void {
  fc.assert(property, { seed: SEED, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: BUDGET_MS * share });
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x3a, 0x3d) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
);

function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Buffer.from(original);
  for (const change of mutations) {
    const at = bytes.length === 0 ? 0 : change.at % bytes.length;
    switch (change.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << change.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = change.value;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
        break;
      case 'repeat':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + change.length), bytes.subarray(at)]);
        break;
    }
  }
  return bytes;
}

/** Valid datagrams of every kind the receiver meets: audio, telephone events, RTCP, with every header option. */
const datagram = fc.oneof(
  fc
    .record({
      marker: fc.boolean(),
      payloadType: fc.constantFrom(0, 8, 101, 13, 96),
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.nat({ max: 0xffffffff }),
      ssrc: fc.constantFrom(1, 2, 0xffffffff),
      csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 3 }),
      extension: fc.option(fc.record({ profile: fc.constant(0xbede), data: fc.constantFrom(new Uint8Array(0), new Uint8Array(8)) }), { nil: undefined }),
      paddingBytes: fc.constantFrom(0, 1, 4),
      payload: fc.oneof(
        fc.integer({ min: 0, max: 480 }).map((length) => new Uint8Array(length).fill(0x55)),
        fc
          .tuple(fc.nat({ max: 16 }), fc.boolean(), fc.nat({ max: 0xffff }))
          .map(([event, end, duration]) => Uint8Array.of(event, end ? 0x8a : 0x0a, duration >> 8, duration & 0xff)),
      ),
    })
    .map(serializeRtp),
  fc.constant(Uint8Array.from(Buffer.from('80c80006' + '1234abcd' + '00'.repeat(20), 'hex'))),
);

test('fuzz: mutated RTP never throws, and a receiver fed all of it stays bounded', () => {
  const sink = { audio: () => undefined, event: () => undefined };
  const receivers = [1, 5].map(
    (jitterPackets) =>
      new RtpStreamReceiver({ codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, epochMs: 0, jitterPackets, maxLeadMs: MAX_LEAD_MS }, sink),
  );
  let clockMs = 0;
  const before = retainedHeap();
  run(
    fc.property(fc.array(fc.tuple(datagram, fc.array(mutation, { maxLength: 4 })), { minLength: 1, maxLength: 20 }), (batch) => {
      const fresh = new RtpStreamReceiver({ codec: 'PCMA', payloadType: 8, epochMs: clockMs, jitterPackets: 3 }, sink);
      for (const [valid, mutations] of batch) {
        const bytes = mutate(valid, mutations);
        const parsed = parseRtp(bytes);
        if (parsed.kind === 'rtp') parseTelephoneEvent(parsed.payload);
        clockMs += 1;
        fresh.push(bytes, clockMs);
        receivers.forEach((rx) => rx.push(bytes, clockMs));
      }
      fresh.flush();
    }),
    0.6,
  );
  receivers.forEach((rx) => rx.flush());
  const grown = retainedHeap() - before;
  for (const rx of receivers) {
    expect(rx.stats.silenceSamples).toBeLessThanOrEqual((clockMs + MAX_LEAD_MS) * 8);
    // Every datagram is counted once as RTP, RTCP or malformed (an RTP packet may also be a malformed event).
    expect(rx.stats.received + rx.stats.rtcp).toBeLessThanOrEqual(clockMs);
    expect(rx.stats.received + rx.stats.rtcp + rx.stats.malformed).toBeGreaterThanOrEqual(clockMs);
  }
  // Hundreds of thousands of packets went through: retaining even a few bytes each would show.
  expect(grown).toBeLessThan(4 * 1024 * 1024);
});

const CALL: SessionDescriptionFields = {
  origin: { username: 'pbx', sessionId: '3920012', sessionVersion: '1', addressType: 'IP4', address: '10.0.0.5' },
  sessionName: 'call',
  control: '*',
  metadata: {
    callId: '4f1c2a@pbx.city.local',
    extension: '2041',
    otherParty: '+82-2-1234-5678',
    direction: 'inbound',
    startedAt: new Date('2026-11-27T05:04:58Z'),
    notices: ['announcement:played@2026-11-27T05:05:00Z', '안내멘트 재생'],
  },
  tracks: [
    { port: 0, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, ptimeMs: 20, direction: 'sendonly', party: 'official', control: 'trackID=1' },
    {
      port: 0,
      codec: 'PCMA',
      payloadType: 8,
      telephoneEventPayloadType: undefined,
      ptimeMs: undefined,
      direction: 'sendrecv',
      party: 'other',
      control: 'rtsp://10.0.0.9/calls/4f1c2a/trackID=2',
    },
  ],
};

/** Line-level changes first (what a careless integrator does), then byte-level ones (what a hostile one does). */
type LineEdit =
  | { readonly kind: 'drop'; readonly at: number }
  | { readonly kind: 'copy'; readonly at: number }
  | { readonly kind: 'swap'; readonly at: number; readonly with: number }
  | { readonly kind: 'value'; readonly at: number; readonly value: string };

const lineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('copy' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant('value' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('', '*', '0', '96', 'x'.repeat(2_000), '\u202e', '가'.repeat(300), 'rtsp://evil/', '../../..'),
    ),
  }),
);

function editLines(text: string, edits: readonly LineEdit[]): string {
  const lines = text.split('\r\n');
  for (const edit of edits) {
    const at = edit.at % lines.length;
    const line = lines[at] as string;
    if (edit.kind === 'drop') lines.splice(at, 1);
    else if (edit.kind === 'copy') lines.splice(at, 0, line);
    else if (edit.kind === 'swap') [lines[at], lines[edit.with % lines.length]] = [lines[edit.with % lines.length] as string, line];
    else lines[at] = `${line.slice(0, line.indexOf(':') + 1 || 2)}${edit.value}`;
  }
  return lines.join('\r\n');
}

test('fuzz: mutated SDP never throws and is refused with a code or accepted whole', () => {
  const valid = formatSdp(CALL);
  const before = retainedHeap();
  run(
    fc.property(fc.array(lineEdit, { maxLength: 6 }), fc.array(mutation, { maxLength: 4 }), (edits, mutations) => {
      const bytes = mutate(Buffer.from(editLines(valid, edits)), mutations);
      const result = parseSdp(bytes, { baseUrl: 'rtsp://10.0.0.9/calls/4f1c2a' });
      if (result.ok) expect(result.description.tracks.length).toBeGreaterThan(0);
      else expect(result.error.code).toMatch(/^[A-Z0-9_]+$/);
    }),
    0.4,
  );
  expect(retainedHeap() - before).toBeLessThan(4 * 1024 * 1024);
});
