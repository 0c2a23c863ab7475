import fc from 'fast-check';
import { type Codec } from '../../domain/recording';
import { SILENCE } from '../../capture/g711';
import { parseRtp, parseTelephoneEvent, RtpStreamReceiver, serializeRtp, type CallEvent, type RtpPacket, type RtpStreamOptions } from '../../capture/rtp';

const SSRC = 0x1234abcd;
const PCMU = 0;
const TELEPHONE_EVENT = 101;

interface Sent {
  readonly seq: number;
  readonly ts: number;
  readonly payload: Uint8Array;
  readonly arrivalMs: number;
  readonly payloadType?: number;
  readonly ssrc?: number;
}

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function rtpPacket(bytes: Uint8Array): RtpPacket {
  const result = parseRtp(bytes);
  if (result.kind !== 'rtp') throw new Error(`not RTP: ${result.kind}`);
  return result;
}

/** Audio whose bytes name the packet they came from and are never a silence code (0xFF, 0xD5). */
const audio = (samples: number, tag: number): Uint8Array => new Uint8Array(samples).fill((tag % 200) + 1);

function datagram(packet: Sent): Uint8Array {
  return serializeRtp({
    payloadType: packet.payloadType ?? PCMU,
    sequenceNumber: packet.seq & 0xffff,
    timestamp: packet.ts >>> 0,
    ssrc: packet.ssrc ?? SSRC,
    payload: packet.payload,
  });
}

/** `count` packets of `samples` each, sent in real time from the call's epoch (0 ms). */
function stream(count: number, { samples = 160, seq = 1000, ts = 50_000, startMs = 0 } = {}): Sent[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: seq + i,
    ts: ts + i * samples,
    payload: audio(samples, i),
    arrivalMs: startMs + (i * samples) / 8,
  }));
}

/** A receiver with a sink that checks the timeline is contiguous and keeps what it was given. */
function receiver(options: Partial<RtpStreamOptions> = {}) {
  const chunks: Buffer[] = [];
  const events: CallEvent[] = [];
  let written = 0;
  const rx = new RtpStreamReceiver(
    { codec: 'PCMU', payloadType: PCMU, telephoneEventPayloadType: TELEPHONE_EVENT, epochMs: 0, ...options },
    {
      audio(sampleOffset, samples) {
        if (sampleOffset !== written) throw new Error(`chunk at ${sampleOffset}, expected ${written}`);
        written += samples.length;
        chunks.push(Buffer.from(samples));
      },
      event(event) {
        events.push(event);
      },
    },
  );
  const send = (...packets: Sent[]) => packets.forEach((packet) => rx.push(datagram(packet), packet.arrivalMs));
  return { rx, send, events, output: () => Buffer.concat(chunks) };
}

const concat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const silence = (samples: number, codec: Codec = 'PCMU'): Buffer => Buffer.alloc(samples, SILENCE[codec]);
const payloads = (packets: readonly Sent[]): Buffer => concat(...packets.map((packet) => packet.payload));

/** RFC 4733 payload: event, E bit, volume, duration. */
const dtmf = (event: number, end: boolean, duration: number, volume = 10): Uint8Array =>
  Uint8Array.of(event, (end ? 0x80 : 0) | volume, duration >>> 8, duration & 0xff);

describe('parseRtp', () => {
  test('a captured PCMU packet parses to its fields and serialises back to the same bytes', () => {
    const bytes = hex('80 00 1f40 000003e8 1234abcd  fffefdfc');
    const packet = rtpPacket(bytes);
    expect(packet).toEqual({
      kind: 'rtp',
      marker: false,
      payloadType: 0,
      sequenceNumber: 8000,
      timestamp: 1000,
      ssrc: SSRC,
      csrcs: [],
      extension: undefined,
      paddingBytes: 0,
      payload: hex('fffefdfc'),
    });
    expect(Buffer.from(serializeRtp(packet))).toEqual(Buffer.from(bytes));
  });

  test('padding, an extension header, CSRCs and the marker are read and written back', () => {
    const bytes = hex('b2 88 ffff fffffff0 deadbeef  00000001 00000002  bede 0001 01020304  d5d5  000003');
    const packet = rtpPacket(bytes);
    expect(packet).toEqual({
      kind: 'rtp',
      marker: true,
      payloadType: 8,
      sequenceNumber: 0xffff,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      csrcs: [1, 2],
      extension: { profile: 0xbede, data: hex('01020304') },
      paddingBytes: 3,
      payload: hex('d5d5'),
    });
    expect(Buffer.from(serializeRtp(packet))).toEqual(Buffer.from(bytes));
  });

  test.each([
    ['nothing', 'TRUNCATED', ''],
    ['a short header', 'TRUNCATED', '80 00 1f40 000003e8 1234'],
    ['version 1', 'BAD_VERSION', '40 00 1f40 000003e8 1234abcd ff'],
    ['version 0 (STUN, say)', 'BAD_VERSION', '00 01 0000 2112a442 00000000'],
    ['a padding count of zero', 'BAD_PADDING', 'a0 00 1f40 000003e8 1234abcd ff 00'],
    ['padding longer than the packet', 'BAD_PADDING', 'a0 00 1f40 000003e8 1234abcd ff 09'],
    ['15 CSRCs in 16 bytes', 'CSRC_BEYOND_LENGTH', '8f 00 1f40 000003e8 1234abcd 00000001'],
    ['an extension header cut short', 'EXTENSION_BEYOND_LENGTH', '90 00 1f40 000003e8 1234abcd bede'],
    ['an extension longer than the packet', 'EXTENSION_BEYOND_LENGTH', '90 00 1f40 000003e8 1234abcd bede 0002 01020304'],
  ])('%s is rejected as %s', (_, reason, bytes) => {
    expect(parseRtp(hex(bytes))).toEqual({ kind: 'rejected', reason });
  });

  test.each([
    ['SR', '80 c8 0006 1234abcd' + '00'.repeat(20), 200],
    ['RR', '80 c9 0001 1234abcd', 201],
    ['SDES', '81 ca 0002 1234abcd 01000000', 202],
    ['BYE', '81 cb 0001 1234abcd', 203],
    ['APP', '80 cc 0002 1234abcd 6e616d65', 204],
  ])('RTCP %s on the RTP port is recognised (RFC 5761)', (_, bytes, packetType) => {
    expect(parseRtp(hex(bytes))).toEqual({ kind: 'rtcp', packetType });
  });

  test('an RTCP packet shorter than its length field is truncated', () => {
    expect(parseRtp(hex('80 c8 0006 1234abcd'))).toEqual({ kind: 'rejected', reason: 'TRUNCATED' });
  });

  test('property: any bytes give a result, never an exception, and a payload inside the datagram', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = parseRtp(bytes);
        if (result.kind === 'rtp') {
          expect(result.payload.buffer).toBe(bytes.buffer);
          expect(result.payload.byteOffset + result.payload.length + result.paddingBytes).toBe(bytes.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('property: serialise then parse gives the same packet', () => {
    const packet = fc.record({
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }).filter((type) => type < 64 || type > 95),
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.nat({ max: 0xffffffff }),
      ssrc: fc.nat({ max: 0xffffffff }),
      csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
      extension: fc.option(
        fc.record({
          profile: fc.integer({ min: 0, max: 0xffff }),
          data: fc.uint8Array({ maxLength: 8 }).map((data) => data.subarray(0, data.length - (data.length % 4))),
        }),
        { nil: undefined },
      ),
      paddingBytes: fc.integer({ min: 0, max: 255 }),
      payload: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(packet, (init) => {
        expect(parseRtp(serializeRtp(init))).toEqual({ kind: 'rtp', ...init });
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseTelephoneEvent', () => {
  test('reads the digit, end bit, volume and duration (RFC 4733 §2.3)', () => {
    expect(parseTelephoneEvent(dtmf(11, true, 800, 10))).toEqual({ kind: 'telephone-event', event: 11, end: true, volume: 10, duration: 800 });
    expect(parseTelephoneEvent(dtmf(5, false, 160, 63))).toEqual({ kind: 'telephone-event', event: 5, end: false, volume: 63, duration: 160 });
  });

  test('a payload shorter than 4 bytes is truncated', () => {
    expect(parseTelephoneEvent(Uint8Array.of(5, 0x80, 0))).toEqual({ kind: 'rejected', reason: 'TRUNCATED' });
  });
});

describe('RtpStreamReceiver', () => {
  test('packets in order come out as they went in, with nothing counted but their reception', () => {
    const { rx, send, output } = receiver();
    const packets = stream(50);
    send(...packets);
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ received: 50, lost: 0, duplicates: 0, late: 0, reordered: 0, silenceSamples: 0 });
    expect(rx.samplesWritten).toBe(50 * 160);
  });

  test('the first packet is placed on the call timeline by its arrival time, after silence', () => {
    const { send, output } = receiver({ epochMs: 1_000 });
    const packets = stream(3, { startMs: 1_250 });
    send(...packets);
    expect(output()).toEqual(concat(silence(2_000), payloads(packets)));
  });

  test('sequence numbers and timestamps wrap around (65535 → 0) without loss, also when reordered across the wrap', () => {
    const { rx, send, output } = receiver();
    const packets = stream(8, { seq: 65_532, ts: 0xffffffff - 300 });
    const [p0, p1, p2, p3, p4, p5, p6, p7] = packets as [Sent, Sent, Sent, Sent, Sent, Sent, Sent, Sent];
    send(p0, p1, p2, p4, p3, p5, p6, p7);
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ lost: 0, reordered: 1, late: 0 });
  });

  test('packets reordered within the window are put back in order', () => {
    const { rx, send, output } = receiver({ jitterPackets: 5 });
    const packets = stream(10);
    const order = [0, 2, 1, 4, 5, 3, 6, 9, 8, 7];
    send(...order.map((i) => packets[i] as Sent));
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ lost: 0, late: 0, reordered: 4 });
  });

  test('a packet is given up when one a window later arrives; if it comes after all, it is late and dropped', () => {
    const { rx, send, output } = receiver({ jitterPackets: 3 });
    const packets = stream(6);
    const [p0, p1, p2, p3, p4, p5] = packets as [Sent, Sent, Sent, Sent, Sent, Sent];
    send(p0, p1, p3, p4);
    expect(rx.samplesWritten).toBe(2 * 160);
    send(p5);
    expect(rx.samplesWritten).toBe(6 * 160);
    send(p2);
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, p1.payload, silence(160), p3.payload, p4.payload, p5.payload));
    expect(rx.stats).toMatchObject({ lost: 1, late: 1 });
  });

  test.each([
    ['PCMU', 80, 0],
    ['PCMU', 160, 0],
    ['PCMU', 240, 0],
    ['PCMA', 80, 8],
    ['PCMA', 160, 8],
    ['PCMA', 240, 8],
  ] as const)('a lost %s packet of %i samples becomes that much of its silence code', (codec, samples, payloadType) => {
    const { rx, send, output } = receiver({ codec, payloadType });
    const packets = stream(6, { samples }).map((packet) => ({ ...packet, payloadType }));
    const lost = new Set([1, 3, 4]);
    send(...packets.filter((_, i) => !lost.has(i)));
    rx.flush();
    const expected = packets.map((packet, i) => (lost.has(i) ? silence(samples, codec) : packet.payload));
    expect(output()).toEqual(concat(...expected));
    expect(rx.stats).toMatchObject({ lost: 3, silenceSamples: 3 * samples });
  });

  test('duplicates, held or already released, are dropped and counted', () => {
    const { rx, send, output } = receiver();
    const packets = stream(5);
    const [p0, p1, p2, p3, p4] = packets as [Sent, Sent, Sent, Sent, Sent];
    send(p0, p0, p2, p2, p1, p1, p3, p4, p0);
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ received: 9, duplicates: 4, late: 0, lost: 0 });
  });

  test('a new SSRC starts its own sequence space; the timeline continues at its arrival time', () => {
    const { rx, send, output } = receiver();
    const first = stream(5);
    const second = stream(5, { seq: 7, ts: 123_456_789, startMs: 600 }).map((packet) => ({ ...packet, ssrc: 0xcafe }));
    send(...first, ...second);
    rx.flush();
    expect(output()).toEqual(concat(payloads(first), silence(600 * 8 - 5 * 160), payloads(second)));
    expect(rx.stats).toMatchObject({ ssrcChanges: 1, lost: 0, late: 0, discarded: 0 });
  });

  test('a new SSRC that follows without a pause follows on the timeline without silence', () => {
    const { rx, send, output } = receiver();
    const first = stream(5);
    const second = stream(5, { seq: 40_000, ts: 9, startMs: 100 }).map((packet) => ({ ...packet, ssrc: 0xcafe }));
    // The new source's first two packets arrive swapped: probation still adopts both, in order.
    send(...first, second[1] as Sent, second[0] as Sent, ...second.slice(2));
    rx.flush();
    expect(output()).toEqual(concat(payloads(first), payloads(second)));
    expect(rx.stats).toMatchObject({ ssrcChanges: 1, lost: 0 });
  });

  test('a stray packet far off the sequence is discarded; a sender that really restarted is followed', () => {
    const { rx, send, output } = receiver();
    const packets = stream(4);
    const [p0, p1, p2, p3] = packets as [Sent, Sent, Sent, Sent];
    const stray = { ...p2, seq: p2.seq + 20_000, payload: audio(160, 199) };
    send(p0, p1, stray, p2);
    const restarted = stream(2, { seq: 30_000, ts: 1, startMs: 60 });
    send(...restarted, { ...p3, arrivalMs: 100 });
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, p1.payload, p2.payload, payloads(restarted)));
    // The stray packet, and the old sequence's last packet arriving after the restart.
    expect(rx.stats).toMatchObject({ discarded: 2, ssrcChanges: 0, lost: 0 });
  });

  test('a DTMF digit is one call event although its end packet is sent three times, and it is not audio', () => {
    const { rx, send, output, events } = receiver();
    const before = stream(5);
    const event = (seq: number, end: boolean, duration: number): Sent => ({
      seq,
      ts: 50_000 + 800,
      payloadType: TELEPHONE_EVENT,
      payload: dtmf(5, end, duration),
      arrivalMs: 100 + duration / 8,
    });
    const after = stream(3, { seq: 1011, ts: 50_000 + 800 + 640, startMs: 180 });
    send(...before, event(1005, false, 160), event(1006, false, 320), event(1007, false, 480));
    send(event(1008, true, 640), event(1009, true, 640), event(1010, true, 640), ...after);
    rx.flush();
    expect(events).toEqual([{ event: 5, digit: '5', volume: 10, sampleOffset: 800, durationSamples: 640, ended: true }]);
    expect(output()).toEqual(concat(payloads(before), silence(640), payloads(after)));
    expect(rx.stats).toMatchObject({ events: 1, lost: 0, duplicates: 0 });
  });

  test('an end packet repeated with the same sequence number is a duplicate; * and # are digits too', () => {
    const { rx, send, events } = receiver();
    const star = (end: boolean): Sent => ({ seq: 1, ts: 0, payloadType: TELEPHONE_EVENT, payload: dtmf(10, end, 400), arrivalMs: 0 });
    send(star(true), star(true), star(true));
    send({ seq: 2, ts: 800, payloadType: TELEPHONE_EVENT, payload: dtmf(11, true, 400), arrivalMs: 100 });
    rx.flush();
    expect(events.map((event) => [event.digit, event.ended])).toEqual([
      ['*', true],
      ['#', true],
    ]);
    expect(rx.stats).toMatchObject({ events: 2, duplicates: 2 });
  });

  test('an event whose end never arrives is reported unended by the next event and by the flush', () => {
    const { rx, send, events } = receiver();
    const event = (seq: number, ts: number, id: number): Sent => ({
      seq,
      ts,
      payloadType: TELEPHONE_EVENT,
      payload: dtmf(id, false, 320),
      arrivalMs: ts / 8,
    });
    send(event(1, 0, 1), event(2, 1_000, 16));
    rx.flush();
    expect(events).toEqual([
      { event: 1, digit: '1', volume: 10, sampleOffset: 0, durationSamples: 320, ended: false },
      { event: 16, digit: undefined, volume: 10, sampleOffset: 1_000, durationSamples: 320, ended: false },
    ]);
  });

  test('RTCP on the same port is counted and kept out of the audio', () => {
    const { rx, send, output } = receiver();
    const packets = stream(4);
    send(...packets.slice(0, 2));
    rx.push(hex('80 c8 0006 1234abcd' + '00'.repeat(20)), 40);
    rx.push(hex('81 cb 0001 1234abcd'), 41);
    send(...packets.slice(2));
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ rtcp: 2, received: 4, malformed: 0 });
  });

  test('packets of another payload type hold their sequence number but are not audio', () => {
    const { rx, send, output } = receiver();
    const packets = stream(3);
    const [p0, p1, p2] = packets as [Sent, Sent, Sent];
    send(p0, { ...p1, payloadType: 13 }, p2);
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, silence(160), p2.payload));
    expect(rx.stats).toMatchObject({ unexpectedPayloadType: 1, lost: 0 });
  });

  test('garbage, truncated and oversized packets are counted and change nothing', () => {
    const { rx, send, output } = receiver({ maxPayloadBytes: 400 });
    const packets = stream(3);
    send(packets[0] as Sent);
    rx.push(new Uint8Array(0), 20);
    rx.push(hex('80 00 1f40'), 20);
    rx.push(hex('ff'.repeat(64)), 20);
    send({ ...(packets[1] as Sent), payload: audio(401, 7) });
    send(packets[1] as Sent, packets[2] as Sent);
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ malformed: 3, discarded: 1, received: 4 });
  });

  test('timestamps that jump ahead cannot make the recording run ahead of the arrival clock', () => {
    const { rx, send } = receiver({ maxLeadMs: 2_000 });
    const packets = Array.from({ length: 500 }, (_, i) => ({ seq: i, ts: i * 100_000_000, payload: audio(160, i), arrivalMs: i * 20 }));
    send(...packets);
    rx.flush();
    const elapsedSamples = 499 * 20 * 8;
    expect(rx.stats.silenceSamples).toBeLessThanOrEqual(elapsedSamples + 2_000 * 8);
    expect(rx.samplesWritten).toBeLessThanOrEqual(elapsedSamples + 2_000 * 8 + 160);
  });

  test.each([
    ['stand still', 50 * 160],
    ['restart lower', 1_000],
  ])('timestamps that %s through a 30 s hold: the audio after it is placed at its arrival, the hold is silence', (_, resumedTs) => {
    const { rx, send, output } = receiver();
    const before = stream(50);
    // Arrival continues 30 s later; the sequence continues, the timestamps do not show the pause.
    const after = stream(50, { seq: 1050, ts: 50_000 + resumedTs, startMs: 31_000 });
    send(...before, ...after);
    rx.flush();
    expect(output()).toEqual(concat(payloads(before), silence(30_000 * 8), payloads(after)));
    expect(rx.samplesWritten).toBe(32_000 * 8);
    expect(rx.stats).toMatchObject({ resyncs: 1, lost: 0, late: 0, discarded: 0, silenceSamples: 30_000 * 8 });
  });

  test('a DTMF event after a hold is placed at its arrival, where the audio that follows is resynced to', () => {
    const { rx, send, events } = receiver();
    send(...stream(5));
    send({ seq: 1005, ts: 50_000 + 800, payloadType: TELEPHONE_EVENT, payload: dtmf(1, true, 400), arrivalMs: 10_000 });
    rx.flush();
    expect(events).toMatchObject([{ digit: '1', sampleOffset: 10_000 * 8 }]);
  });

  test('network jitter within the tolerance (window + 300 ms) does not resync: one late packet changes nothing', () => {
    const { rx, send, output } = receiver({ jitterPackets: 5 });
    const packets = stream(40);
    // Packets 10–20 are held up in the network for 350 ms and then arrive in a burst.
    send(...packets.map((packet, i) => (i >= 10 && i <= 20 ? { ...packet, arrivalMs: Math.max(packet.arrivalMs, 200 + 350) } : packet)));
    rx.flush();
    expect(output()).toEqual(payloads(packets));
    expect(rx.stats).toMatchObject({ resyncs: 0, silenceSamples: 0 });
  });

  test('tick() releases packets held after a loss once the oldest has waited maxHoldMs, the gap counted as lost', () => {
    const { rx, send, output } = receiver({ jitterPackets: 5, maxHoldMs: 200 });
    const packets = stream(5);
    const [p0, p1, p2, p3, p4] = packets as [Sent, Sent, Sent, Sent, Sent];
    send(p0, p1, p3, p4);
    expect(rx.samplesWritten).toBe(2 * 160);
    // p3 arrived at 60 ms: at 200 ms it has waited 140 ms, at 261 ms 201 ms.
    rx.tick(200);
    expect(rx.samplesWritten).toBe(2 * 160);
    rx.tick(261);
    expect(rx.samplesWritten).toBe(5 * 160);
    expect(rx.stats).toMatchObject({ lost: 1, late: 0 });
    // The given-up packet arriving after all is late; nothing else is left to tick out.
    send(p2);
    rx.tick(10_000);
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, p1.payload, silence(160), p3.payload, p4.payload));
    expect(rx.stats).toMatchObject({ lost: 1, late: 1 });
  });

  test('tick() gives up only what waited too long: a later gap among the held packets is still waited for', () => {
    const { rx, send, output } = receiver({ jitterPackets: 8, maxHoldMs: 200 });
    const packets = stream(8);
    const [p0, , p2, p3, p4, p5, p6, p7] = packets as [Sent, Sent, Sent, Sent, Sent, Sent, Sent, Sent];
    send(p0, p2, { ...p3, arrivalMs: 60 }, { ...p5, arrivalMs: 250 });
    rx.tick(270);
    // p1 given up for p2 and p3 (waited > 200 ms); p4 missing only since p5 came 20 ms ago, so p5 stays held.
    expect(rx.samplesWritten).toBe(4 * 160);
    send({ ...p4, arrivalMs: 280 }, { ...p6, arrivalMs: 290 }, { ...p7, arrivalMs: 300 });
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, silence(160), ...[p2, p3, p4, p5, p6, p7].map((packet) => packet.payload)));
    expect(rx.stats).toMatchObject({ lost: 1, late: 0, duplicates: 0 });
  });

  test('restart() releases what is held and places the next packet by its arrival as a new source, same SSRC or not', () => {
    const { rx, send, output } = receiver();
    const first = stream(5);
    const [p0, p1, p2, , p4] = first as [Sent, Sent, Sent, Sent, Sent];
    send(p0, p1, p2, p4);
    rx.restart();
    expect(rx.samplesWritten).toBe(5 * 160);
    // The same SSRC, sequence numbers and timestamps as before: without restart() these would all be duplicates.
    const second = stream(5, { startMs: 1_000 });
    send(...second);
    rx.flush();
    expect(output()).toEqual(concat(p0.payload, p1.payload, p2.payload, silence(160), p4.payload, silence(1_000 * 8 - 5 * 160), payloads(second)));
    expect(rx.stats).toMatchObject({ lost: 1, duplicates: 0, late: 0, discarded: 0, ssrcChanges: 0, resyncs: 0 });
  });

  test('options outside what the receiver can hold are refused when it is built', () => {
    const sink = { audio: () => undefined, event: () => undefined };
    const base: RtpStreamOptions = { codec: 'PCMU', payloadType: 0, epochMs: 0 };
    expect(() => new RtpStreamReceiver({ ...base, jitterPackets: 0 }, sink)).toThrow(RangeError);
    expect(() => new RtpStreamReceiver({ ...base, jitterPackets: 1_000 }, sink)).toThrow(RangeError);
    expect(() => new RtpStreamReceiver({ ...base, payloadType: 128 }, sink)).toThrow(RangeError);
    expect(() => new RtpStreamReceiver({ ...base, telephoneEventPayloadType: 0 }, sink)).toThrow(RangeError);
    expect(() => new RtpStreamReceiver({ ...base, epochMs: Number.NaN }, sink)).toThrow(RangeError);
    expect(() => new RtpStreamReceiver({ ...base, maxHoldMs: -1 }, sink)).toThrow(RangeError);
  });

  /** A stream of 10, 20 and 30 ms packets from any starting sequence number and timestamp (wrap-around included). */
  const anyStream = fc
    .record({
      seq: fc.integer({ min: 0, max: 0xffff }),
      ts: fc.nat({ max: 0xffffffff }),
      sizes: fc.array(fc.constantFrom(80, 160, 240), { minLength: 1, maxLength: 80 }),
    })
    .map(({ seq, ts, sizes }) => {
      let elapsed = 0;
      return sizes.map((samples, i) => {
        const packet: Sent = { seq: seq + i, ts: ts + elapsed, payload: audio(samples, i), arrivalMs: elapsed / 8 };
        elapsed += samples;
        return packet;
      });
    });

  /**
   * An arrival order that never lets a packet be overtaken by one `window` or more sequence numbers later: each
   * packet is delayed by up to `window` sequence numbers. Duplicates arrive any amount after their original's place.
   * The first packet stays first, because it starts the sequence space.
   */
  function jittered(packets: readonly Sent[], window: number, delays: readonly number[], duplicates: readonly number[]): Sent[] {
    const start = (packets[0] as Sent).seq;
    const keyed = packets.map((packet, i) => ({ packet, key: i === 0 ? -1 : packet.seq - start + ((delays[i] ?? 0) % (window + 1)) }));
    duplicates.forEach((d, k) => {
      const packet = packets[d % packets.length] as Sent;
      keyed.push({ packet, key: packet.seq - start + (delays[k] ?? 0) });
    });
    return keyed.sort((a, b) => a.key - b.key).map(({ packet }) => packet);
  }

  test('property: any reordering within the window plus duplicates gives exactly the original audio', () => {
    fc.assert(
      fc.property(
        anyStream,
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (packets, window, delays, duplicates) => {
          const { rx, send, output } = receiver({ jitterPackets: window });
          send(...jittered(packets, window, delays, duplicates));
          rx.flush();
          expect(output()).toEqual(payloads(packets));
          expect(rx.stats).toMatchObject({ lost: 0, late: 0, duplicates: duplicates.length });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: with any loss pattern the output spans the timeline exactly, silence where packets were lost', () => {
    fc.assert(
      fc.property(
        anyStream,
        fc.array(fc.boolean(), { maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 80 }),
        fc.constantFrom<Codec>('PCMU', 'PCMA'),
        (packets, dropped, window, delays, codec) => {
          const payloadType = codec === 'PCMU' ? 0 : 8;
          const typed: Sent[] = packets.map((packet) => ({ ...packet, payloadType }));
          const keptIndices = typed.map((_, i) => i).filter((i) => !dropped[i]);
          const [first, last] = [keptIndices[0], keptIndices[keptIndices.length - 1]];
          fc.pre(first !== undefined && last !== undefined);
          const { rx, send, output } = receiver({ codec, payloadType, jitterPackets: window });
          send(
            ...jittered(
              keptIndices.map((i) => typed[i] as Sent),
              window,
              delays,
              [],
            ),
          );
          rx.flush();

          const expected = typed.map((packet, i) => (dropped[i] ? silence(packet.payload.length, codec) : packet.payload));
          const start = (typed[first] as Sent).arrivalMs * 8;
          expect(output()).toEqual(concat(silence(start, codec), ...expected.slice(first, last + 1)));
          const end = typed[last] as Sent;
          expect(rx.samplesWritten).toBe(end.arrivalMs * 8 + end.payload.length);
          expect(rx.stats.lost).toBe(last - first + 1 - keptIndices.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: any datagrams, valid or not, never make the receiver throw', () => {
    const valid = anyStream.map((packets) => packets.map(datagram));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            valid.map((list) => list[0] as Uint8Array),
          ),
          { maxLength: 50 },
        ),
        (datagrams) => {
          const { rx } = receiver({ jitterPackets: 3 });
          datagrams.forEach((bytes, i) => rx.push(bytes, i * 20));
          rx.flush();
        },
      ),
      { numRuns: 300 },
    );
  });
});
