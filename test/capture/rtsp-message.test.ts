/** The RTSP message layer: requests, responses and interleaved frames split anywhere, hostile bytes bounded. */
import fc from 'fast-check';
import {
  formatInterleaved,
  formatRequest,
  formatResponse,
  formatTransport,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  parseTransport,
  RtspParseError,
  RtspParser,
  type RtspMessage,
} from '../../capture/rtsp-message';

const sdp = Buffer.from('v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=call\r\nm=audio 0 RTP/AVP 0\r\n');

function parseAll(bytes: Buffer, cuts: number[] = []): RtspMessage[] {
  const parser = new RtspParser();
  const messages: RtspMessage[] = [];
  let start = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
    messages.push(...parser.push(bytes.subarray(start, cut)));
    start = cut;
  }
  messages.push(...parser.push(bytes.subarray(start)));
  return messages;
}

test('an ANNOUNCE with its SDP body, a response and an interleaved frame on one connection', () => {
  const bytes = Buffer.concat([
    formatRequest('ANNOUNCE', 'rtsp://127.0.0.1:8554/calls/abc', { CSeq: 1, 'Content-Type': 'application/sdp' }, sdp),
    formatInterleaved(0, Buffer.from([0x80, 0, 0, 1])),
    formatResponse(200, { CSeq: 2, Session: '12345678;timeout=60' }),
  ]);
  const [request, frame, response] = parseAll(bytes);
  expect(request).toMatchObject({ kind: 'request', method: 'ANNOUNCE', uri: 'rtsp://127.0.0.1:8554/calls/abc', version: 'RTSP/1.0' });
  expect((request as { headers: Map<string, string> }).headers.get('content-type')).toBe('application/sdp');
  expect((request as { body: Buffer }).body.equals(sdp)).toBe(true);
  expect(frame).toEqual({ kind: 'interleaved', channel: 0, data: Buffer.from([0x80, 0, 0, 1]) });
  expect(response).toMatchObject({ kind: 'response', status: 200, reason: 'OK' });
});

test('bare LF line endings and folded headers from old devices are read', () => {
  const [request] = parseAll(Buffer.from('OPTIONS * RTSP/1.0\nCSeq: 7\nUser-Agent: old\n  device\n\n'));
  expect(request).toMatchObject({ method: 'OPTIONS', uri: '*' });
  expect((request as { headers: Map<string, string> }).headers.get('user-agent')).toBe('old device');
});

test.each([
  ['GET / HTTP/1.1\r\n\r\n', 400],
  ['DESCRIBE rtsp://x RTSP/3.0\r\nCSeq: 1\r\n\r\n', 505],
  ['SETUP rtsp://x RTSP/1.0\r\nCSeq 1\r\n\r\n', 400],
  ['SETUP rtsp://x RTSP/1.0\r\nContent-Length: -5\r\n\r\n', 400],
  [`ANNOUNCE rtsp://x RTSP/1.0\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`, 413],
  [`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`, 431],
  [`OPTIONS * RTSP/1.0\r\n${'X: a\r\n'.repeat(70)}\r\n`, 431],
])('%j is refused with %i', (text, status) => {
  let caught: unknown;
  try {
    parseAll(Buffer.from(text));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RtspParseError);
  expect((caught as RtspParseError).status).toBe(status);
});

test('a header block that never ends is refused once it passes the limit, not buffered for ever', () => {
  const parser = new RtspParser();
  parser.push(Buffer.from('OPTIONS * RTSP/1.0\r\n'));
  expect(() => {
    for (let index = 0; index < 100; index += 1)
      parser.push(Buffer.from('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'));
  }).toThrow(RtspParseError);
});

test('any split of a valid stream gives the same messages (property)', () => {
  const message = fc.oneof(
    fc
      .record({ channel: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 300 }) })
      .map(({ channel, data }) => formatInterleaved(channel, Buffer.from(data))),
    fc
      .record({ cseq: fc.nat(), body: fc.uint8Array({ maxLength: 200 }) })
      .map(({ cseq, body }) => formatRequest('ANNOUNCE', 'rtsp://127.0.0.1/c', { CSeq: cseq }, Buffer.from(body))),
    fc.nat().map((cseq) => formatResponse(200, { CSeq: cseq })),
  );
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const bytes = Buffer.concat(messages);
      const whole = parseAll(bytes);
      expect(whole).toHaveLength(messages.length);
      expect(
        parseAll(
          bytes,
          cuts.map((cut) => cut % (bytes.length + 1)),
        ),
      ).toEqual(whole);
    }),
    { numRuns: 300 },
  );
});

test('arbitrary bytes never crash the parser: a message, nothing yet, or an RtspParseError (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
      try {
        parseAll(Buffer.from(bytes));
      } catch (error) {
        expect(error).toBeInstanceOf(RtspParseError);
      }
    }),
    { numRuns: 2_000 },
  );
});

test('Transport headers: UDP client ports, TCP interleaved channels, multicast and junk skipped', () => {
  expect(parseTransport('RTP/AVP;unicast;client_port=5000-5001;mode=record')).toEqual({
    protocol: 'udp',
    clientPorts: [5000, 5001],
    serverPorts: undefined,
    mode: 'record',
  });
  expect(parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3;mode="RECORD"')).toEqual({ protocol: 'tcp', interleaved: [2, 3], mode: 'record' });
  expect(parseTransport('RTP/AVP;multicast;port=6000-6001, RTP/AVP/TCP;interleaved=0-1')).toMatchObject({ protocol: 'tcp', mode: 'play' });
  for (const junk of ['', 'RTP/AVP;client_port=0-1', 'RTP/AVP;client_port=70000-70001', 'RTP/AVP/TCP;interleaved=300-301', 'RAW/RAW/UDP;client_port=1-2']) {
    expect(parseTransport(junk)).toBeUndefined();
  }
  const udp = {
    protocol: 'udp' as const,
    clientPorts: [5000, 5001] as [number, number],
    serverPorts: [6000, 6001] as [number, number],
    mode: 'record' as const,
  };
  expect(parseTransport(formatTransport(udp))).toEqual(udp);
});

test('formatting refuses header values that would split the message', () => {
  expect(() => formatResponse(200, { CSeq: '1\r\nInjected: yes' })).toThrow();
  expect(() => formatRequest('ANNOUNCE', 'rtsp://x y', {})).toThrow();
});
