import fc from 'fast-check';
import {
  formatSdp,
  parseSdp,
  SDP_LIMITS,
  type SdpErrorCode,
  type SdpParseResult,
  type SdpTrackFields,
  type SessionDescription,
  type SessionDescriptionFields,
} from '../../capture/sdp';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** What ffmpeg 6/7 sends in ANNOUNCE when it pushes a mono PCMU stream (`-f rtsp -c:a pcm_mulaw`). */
const FFMPEG_ANNOUNCE = sdp(
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 61.7.100',
  'm=audio 0 RTP/AVP 0',
  'b=AS:64',
  'a=control:streamid=0',
);

/** What gst-rtsp-server answers to DESCRIBE for a PCMA stream (rtppcmapay). */
const GSTREAMER_DESCRIBE = sdp(
  'v=0',
  'o=- 1188340656180883 1 IN IP4 127.0.0.1',
  's=Session streamed with GStreamer',
  'i=rtsp-server',
  't=0 0',
  'a=tool:GStreamer',
  'a=type:broadcast',
  'a=control:*',
  'a=range:npt=0-',
  'm=audio 0 RTP/AVP 8',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:8 PCMA/8000',
  'a=ts-refclk:local',
  'a=mediaclk:sender',
  'a=control:stream=0',
);

/** A PBX announcing a call with our metadata, one track per party, DTMF, LF line endings. */
const PBX_LINES = [
  'v=0',
  'o=pbx 3920012 1 IN IP4 10.0.0.5',
  's=call',
  't=0 0',
  'a=x-gm-call-id:4f1c2a@pbx.city.local',
  'a=x-gm-extension:2041',
  'a=x-gm-other-party:+82-2-1234-5678',
  'a=x-gm-direction:inbound',
  'a=x-gm-started-at:2026-11-27T05:04:58Z',
  'a=x-gm-notice:announcement:played@2026-11-27T05:05:00Z',
  'a=x-gm-notice:안내멘트 재생 완료',
  'a=sendonly',
  'm=audio 0 RTP/AVP 0 101',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=x-gm-party:official',
  'a=control:trackID=1',
  'm=audio 0 RTP/AVP 18 8 0 101',
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=recvonly',
  'a=x-gm-party:other',
  'a=control:rtsp://10.0.0.9/calls/4f1c2a/trackID=2',
];
const PBX_BASE = 'rtsp://10.0.0.9/calls/4f1c2a';
const pbx = (edit: (lines: string[]) => string[] = (lines) => lines): string => `${edit([...PBX_LINES]).join('\n')}\n`;

function accepted(result: SdpParseResult): SessionDescription {
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.detail}`);
  return result.description;
}

function refusal(result: SdpParseResult) {
  if (result.ok) throw new Error('accepted');
  return result.error;
}

/** Replaces the line starting with `prefix` (the first one, or the nth) by `lines`. */
const replacing =
  (prefix: string, ...lines: string[]) =>
  (all: string[]): string[] => {
    const index = all.findIndex((line) => line.startsWith(prefix));
    if (index < 0) throw new Error(`no line ${prefix}`);
    return [...all.slice(0, index), ...lines, ...all.slice(index + 1)];
  };

describe('parseSdp', () => {
  test('ffmpeg ANNOUNCE: static PCMU without rtpmap, relative control under the request URL', () => {
    const description = accepted(parseSdp(Buffer.from(FFMPEG_ANNOUNCE), { baseUrl: 'rtsp://127.0.0.1:8554/calls/abc' }));
    expect(description).toEqual({
      origin: { username: '-', sessionId: '0', sessionVersion: '0', addressType: 'IP4', address: '127.0.0.1' },
      sessionName: 'No Name',
      control: undefined,
      metadata: { notices: [] },
      tracks: [
        {
          port: 0,
          codec: 'PCMU',
          payloadType: 0,
          telephoneEventPayloadType: undefined,
          ptimeMs: undefined,
          direction: 'sendrecv',
          party: undefined,
          control: 'streamid=0',
          controlUrl: 'rtsp://127.0.0.1:8554/calls/abc/streamid=0',
        },
      ],
    });
  });

  test('GStreamer DESCRIBE answer: PCMA with rtpmap, session control *, media control relative to Content-Base', () => {
    const description = accepted(parseSdp(GSTREAMER_DESCRIBE, { baseUrl: 'rtsp://127.0.0.1:8554/test/' }));
    expect(description.control).toBe('*');
    expect(description.tracks).toEqual([expect.objectContaining({ codec: 'PCMA', payloadType: 8, controlUrl: 'rtsp://127.0.0.1:8554/test/stream=0' })]);
  });

  test('a PBX call: metadata, two parties, telephone events, the first G.711 format offered, directions', () => {
    const description = accepted(parseSdp(pbx(), { baseUrl: PBX_BASE }));
    expect(description.metadata).toEqual({
      callId: '4f1c2a@pbx.city.local',
      extension: '2041',
      otherParty: '+82-2-1234-5678',
      direction: 'inbound',
      startedAt: new Date('2026-11-27T05:04:58Z'),
      notices: ['announcement:played@2026-11-27T05:05:00Z', '안내멘트 재생 완료'],
    });
    expect(description.tracks).toEqual([
      {
        port: 0,
        codec: 'PCMU',
        payloadType: 0,
        telephoneEventPayloadType: 101,
        ptimeMs: 20,
        direction: 'sendonly',
        party: 'official',
        control: 'trackID=1',
        controlUrl: 'rtsp://10.0.0.9/calls/4f1c2a/trackID=1',
      },
      {
        port: 0,
        codec: 'PCMA',
        payloadType: 8,
        telephoneEventPayloadType: 101,
        ptimeMs: undefined,
        direction: 'recvonly',
        party: 'other',
        control: 'rtsp://10.0.0.9/calls/4f1c2a/trackID=2',
        controlUrl: 'rtsp://10.0.0.9/calls/4f1c2a/trackID=2',
      },
    ]);
  });

  test('CRLF, LF and a mixture of both parse alike', () => {
    const lf = parseSdp(pbx(), { baseUrl: PBX_BASE });
    const crlf = parseSdp(PBX_LINES.join('\r\n'), { baseUrl: PBX_BASE });
    const mixed = parseSdp(PBX_LINES.map((line, i) => line + (i % 2 ? '\r\n' : '\n')).join(''), { baseUrl: PBX_BASE });
    expect(crlf).toEqual(lf);
    expect(mixed).toEqual(lf);
  });

  test('a dynamic payload type may carry PCMU; telephone-event at another clock rate is ignored', () => {
    const description = accepted(
      parseSdp(
        pbx(
          replacing(
            'm=audio 0 RTP/AVP 0 101',
            'm=audio 0 RTP/AVP 111 96 100 101',
            'a=rtpmap:111 opus/48000/2',
            'a=rtpmap:96 pcmu/8000',
            'a=rtpmap:100 telephone-event/48000',
          ),
        ),
        { baseUrl: PBX_BASE },
      ),
    );
    expect(description.tracks[0]).toMatchObject({ codec: 'PCMU', payloadType: 96, telephoneEventPayloadType: 101 });
  });

  const cases: [string, (lines: string[]) => string[], SdpErrorCode][] = [
    ['only G.722 offered', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 9', 'a=rtpmap:9 G722/8000'), 'UNSUPPORTED_CODEC'],
    ['only G.729 and telephone events offered', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 18 101'), 'UNSUPPORTED_CODEC'],
    ['stereo PCMU', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 PCMU/8000/2'), 'UNSUPPORTED_CODEC'],
    ['PCMU at 16 kHz', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 96', 'a=rtpmap:96 PCMU/16000'), 'UNSUPPORTED_CLOCK_RATE'],
    ['a third audio track', (lines) => [...lines, 'm=audio 0 RTP/AVP 0', 'a=control:trackID=3'], 'TOO_MANY_TRACKS'],
    ['a video track', (lines) => [...lines.slice(0, 18), 'm=video 0 RTP/AVP 96', 'a=control:trackID=2'], 'UNSUPPORTED_MEDIA'],
    ['SRTP', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/SAVP 0 101'), 'UNSUPPORTED_TRANSPORT'],
    ['no media section', (lines) => lines.slice(0, 12), 'NO_AUDIO_TRACK'],
    ['a track without a=control', replacing('a=control:trackID=1'), 'MISSING_CONTROL'],
    ['a control URL on another host', replacing('a=control:trackID=1', 'a=control:rtsp://203.0.113.7/x'), 'INVALID_CONTROL'],
    ['a control URL of another scheme', replacing('a=control:trackID=1', 'a=control:http://10.0.0.9/x'), 'INVALID_CONTROL'],
    ['a control URL to another host by a network-path reference', replacing('a=control:trackID=1', 'a=control://evil.example/x'), 'INVALID_CONTROL'],
    ['no v=0 first', (lines) => lines.slice(1), 'SYNTAX'],
    ['v=1', replacing('v=0', 'v=1'), 'SYNTAX'],
    ['no o= line', replacing('o=pbx'), 'SYNTAX'],
    ['no s= line', replacing('s=call'), 'SYNTAX'],
    ['a line without =', replacing('t=0 0', 'garbage'), 'SYNTAX'],
    ['an upper-case line type', replacing('t=0 0', 'T=0 0'), 'SYNTAX'],
    ['a NUL byte', replacing('s=call', 's=ca\u0000ll'), 'SYNTAX'],
    ['a bare CR inside a line', replacing('s=call', 's=ca\rm=audio 0 RTP/AVP 0'), 'SYNTAX'],
    ['a payload type above 127', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 0 300'), 'SYNTAX'],
    ['a port above 65535', replacing('m=audio 0 RTP/AVP 0 101', 'm=audio 70000 RTP/AVP 0 101'), 'SYNTAX'],
    ['an rtpmap contradicting static type 0', replacing('a=fmtp:101 0-15', 'a=rtpmap:0 PCMA/8000'), 'SYNTAX'],
    ['PCMU mapped onto a static G.722 number', replacing('a=fmtp:101 0-15', 'a=rtpmap:9 PCMU/8000'), 'SYNTAX'],
    ['a malformed rtpmap', replacing('a=fmtp:101 0-15', 'a=rtpmap:0 PCMU'), 'SYNTAX'],
    ['ptime 0', replacing('a=ptime:20', 'a=ptime:0'), 'SYNTAX'],
    ['two a=control in one section', (lines) => [...lines, 'a=control:trackID=9'], 'SYNTAX'],
    ['sendonly and recvonly together', replacing('a=recvonly', 'a=recvonly', 'a=sendonly'), 'SYNTAX'],
    ['a call id with a space', replacing('a=x-gm-call-id', 'a=x-gm-call-id:4f1c 2a'), 'INVALID_METADATA'],
    ['a call id with markup', replacing('a=x-gm-call-id', 'a=x-gm-call-id:<script>alert(1)</script>'), 'INVALID_METADATA'],
    ['a call id of 129 characters', replacing('a=x-gm-call-id', `a=x-gm-call-id:${'a'.repeat(129)}`), 'INVALID_METADATA'],
    ['an empty call id', replacing('a=x-gm-call-id', 'a=x-gm-call-id:'), 'INVALID_METADATA'],
    ['two call ids', (lines) => [...lines.slice(0, 5), 'a=x-gm-call-id:other', ...lines.slice(5)], 'INVALID_METADATA'],
    ['an extension with SQL', replacing('a=x-gm-extension', "a=x-gm-extension:2041'; DROP TABLE recording;--"), 'INVALID_METADATA'],
    ['an extension of 33 digits', replacing('a=x-gm-extension', `a=x-gm-extension:${'1'.repeat(33)}`), 'INVALID_METADATA'],
    ['another party with letters', replacing('a=x-gm-other-party', 'a=x-gm-other-party:anonymous'), 'INVALID_METADATA'],
    ['another party of dashes', replacing('a=x-gm-other-party', 'a=x-gm-other-party:---'), 'INVALID_METADATA'],
    ['an unknown direction', replacing('a=x-gm-direction', 'a=x-gm-direction:sideways'), 'INVALID_METADATA'],
    ['a start time that does not exist', replacing('a=x-gm-started-at', 'a=x-gm-started-at:2026-02-30T05:04:58Z'), 'INVALID_METADATA'],
    ['a start time in local time', replacing('a=x-gm-started-at', 'a=x-gm-started-at:2026-11-27T14:04:58+09:00'), 'INVALID_METADATA'],
    ['a notice of 257 characters', replacing('a=x-gm-notice:announcement', `a=x-gm-notice:${'가'.repeat(257)}`), 'INVALID_METADATA'],
    ['a notice with a bidirectional override', replacing('a=x-gm-notice:announcement', 'a=x-gm-notice:played\u202eevil'), 'INVALID_METADATA'],
    ['nine notices', (lines) => [...lines.slice(0, 11), ...Array.from({ length: 7 }, () => 'a=x-gm-notice:again'), ...lines.slice(11)], 'INVALID_METADATA'],
    ['both tracks the official', replacing('a=x-gm-party:other', 'a=x-gm-party:official'), 'INVALID_METADATA'],
    ['an unknown party', replacing('a=x-gm-party:other', 'a=x-gm-party:witness'), 'INVALID_METADATA'],
    ['a party at session level', replacing('a=sendonly', 'a=sendonly', 'a=x-gm-party:official'), 'INVALID_METADATA'],
    ['a call id at media level', replacing('a=ptime:20', 'a=ptime:20', 'a=x-gm-call-id:inside'), 'INVALID_METADATA'],
    ['a misspelt metadata attribute', replacing('a=x-gm-call-id', 'a=x-gm-call_id:4f1c2a'), 'INVALID_METADATA'],
  ];

  test.each(cases)('%s is refused as %s', (_, edit, code) => {
    const error = refusal(parseSdp(pbx(edit), { baseUrl: PBX_BASE }));
    expect(error.code).toBe(code);
    // Details are English text for logs and RTSP reason phrases: printable ASCII, never the offending value.
    expect(error.detail).toMatch(/^[\x20-\x7e]+$/);
    expect(error.detail).not.toMatch(/script|DROP|evil|sideways|witness/);
  });

  test('the line at fault is named', () => {
    expect(refusal(parseSdp(pbx(replacing('a=x-gm-direction', 'a=x-gm-direction:sideways')), { baseUrl: PBX_BASE }))).toEqual({
      code: 'INVALID_METADATA',
      detail: 'a=x-gm-direction must be inbound, outbound or internal',
      line: 8,
    });
  });

  test('oversized descriptions are refused before they are read', () => {
    const base = { baseUrl: PBX_BASE };
    const padding = Array.from({ length: 200 }, (_, i) => `a=x-filler-${i}:${'x'.repeat(90)}`);
    expect(
      refusal(
        parseSdp(
          pbx((lines) => [...lines, ...padding]),
          base,
        ),
      ).code,
    ).toBe('TOO_LARGE');
    expect(refusal(parseSdp(Buffer.alloc(SDP_LIMITS.maxBytes + 1, 0x61), base)).code).toBe('TOO_LARGE');
    expect(
      refusal(
        parseSdp(
          pbx((lines) => [...lines, ...Array.from({ length: SDP_LIMITS.maxLines }, () => 'a=x')]),
          base,
        ),
      ).code,
    ).toBe('TOO_LARGE');
    expect(refusal(parseSdp(pbx(replacing('s=call', `s=${'x'.repeat(SDP_LIMITS.maxLineLength)}`)), base)).code).toBe('TOO_LARGE');
    // Multi-byte text counts in bytes, not characters.
    expect(refusal(parseSdp(`v=0\n${'가'.repeat(SDP_LIMITS.maxBytes / 3)}`, base)).code).toBe('TOO_LARGE');
  });

  test('bytes that are not UTF-8, and strings that cannot be, are refused', () => {
    const base = { baseUrl: PBX_BASE };
    const latin1 = Buffer.from(pbx(replacing('s=call', 's=Müller')), 'latin1');
    expect(refusal(parseSdp(latin1, base)).code).toBe('NOT_UTF8');
    expect(refusal(parseSdp(pbx(replacing('s=call', 's=\ud800')), base)).code).toBe('NOT_UTF8');
  });

  test('a base URL that is not rtsp: is refused rather than thrown', () => {
    expect(refusal(parseSdp(pbx(), { baseUrl: 'not a url' })).code).toBe('INVALID_CONTROL');
    expect(refusal(parseSdp(pbx(), { baseUrl: 'file:///etc/passwd' })).code).toBe('INVALID_CONTROL');
  });

  test('property: any string or bytes give a result, never an exception', () => {
    const options = { baseUrl: PBX_BASE };
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => void parseSdp(text, options)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void parseSdp(bytes, options)),
      { numRuns: 1000 },
    );
  });

  test('property: SDP-shaped lines in any order and with any values give a result, never an exception', () => {
    const names = [
      'control',
      'rtpmap',
      'ptime',
      'sendonly',
      'recvonly',
      'x-gm-call-id',
      'x-gm-extension',
      'x-gm-other-party',
      'x-gm-direction',
      'x-gm-started-at',
      'x-gm-notice',
      'x-gm-party',
      'fmtp',
    ];
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('0', '8', '101', '0 PCMU/8000', '101 telephone-event/8000', 'trackID=1', '*', 'rtsp://10.0.0.9/x', '2026-11-27T05:04:58Z'),
    );
    const line = fc.oneof(
      fc.tuple(fc.constantFrom(...names), fc.option(value, { nil: undefined })).map(([name, v]) => (v === undefined ? `a=${name}` : `a=${name}:${v}`)),
      fc
        .tuple(
          fc.constantFrom('audio', 'video', ''),
          fc.constantFrom('0', '5004', '-1', ''),
          fc.constantFrom('RTP/AVP', 'RTP/SAVP'),
          fc.array(fc.nat({ max: 300 }), { maxLength: 4 }),
        )
        .map(([media, port, proto, formats]) => `m=${media} ${port} ${proto} ${formats.join(' ')}`),
      fc.constantFrom('o=- 0 0 IN IP4 127.0.0.1', 's=x', 't=0 0', 'c=IN IP4 0.0.0.0', 'v=0'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, crlf) => {
        const result = parseSdp(['v=0', ...lines].join(crlf ? '\r\n' : '\n'), { baseUrl: PBX_BASE });
        if (!result.ok) expect(result.error.detail).toMatch(/^[\x20-\x7e]+$/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatSdp', () => {
  const call: SessionDescriptionFields = {
    origin: { username: 'gm-capture', sessionId: '1764219898', sessionVersion: '1', addressType: 'IP4', address: '127.0.0.1' },
    sessionName: 'call generator',
    control: undefined,
    metadata: {
      callId: 'gen-1',
      extension: '2041',
      direction: 'outbound',
      startedAt: new Date('2026-11-27T05:04:58.120Z'),
      notices: ['announcement:played@2026-11-27T05:05:00Z'],
    },
    tracks: [
      { port: 0, codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, ptimeMs: 20, direction: 'sendonly', party: 'official', control: 'trackID=0' },
      {
        port: 0,
        codec: 'PCMA',
        payloadType: 8,
        telephoneEventPayloadType: undefined,
        ptimeMs: 20,
        direction: 'sendonly',
        party: 'other',
        control: 'trackID=1',
      },
    ],
  };

  test('writes an SDP with CRLF line endings that parses back to the same description', () => {
    const text = formatSdp(call);
    expect(text).toBe(
      sdp(
        'v=0',
        'o=gm-capture 1764219898 1 IN IP4 127.0.0.1',
        's=call generator',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'a=x-gm-call-id:gen-1',
        'a=x-gm-extension:2041',
        'a=x-gm-direction:outbound',
        'a=x-gm-started-at:2026-11-27T05:04:58.120Z',
        'a=x-gm-notice:announcement:played@2026-11-27T05:05:00Z',
        'm=audio 0 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=ptime:20',
        'a=sendonly',
        'a=x-gm-party:official',
        'a=control:trackID=0',
        'm=audio 0 RTP/AVP 8',
        'a=rtpmap:8 PCMA/8000',
        'a=ptime:20',
        'a=sendonly',
        'a=x-gm-party:other',
        'a=control:trackID=1',
      ),
    );
    const parsed = accepted(parseSdp(text, { baseUrl: 'rtsp://127.0.0.1:8554/calls/gen-1' }));
    expect(parsed.tracks.map((track) => track.controlUrl)).toEqual([
      'rtsp://127.0.0.1:8554/calls/gen-1/trackID=0',
      'rtsp://127.0.0.1:8554/calls/gen-1/trackID=1',
    ]);
  });

  test.each<[string, Partial<SessionDescriptionFields>]>([
    ['a notice that would start a new line', { metadata: { notices: ['played\r\nm=video 0 RTP/AVP 96'] } }],
    ['a call id with a space', { metadata: { callId: 'a b', notices: [] } }],
    ['an invalid start time', { metadata: { startedAt: new Date(Number.NaN), notices: [] } }],
    ['a start time past year 9999', { metadata: { startedAt: new Date(Date.UTC(10_000, 0, 1)), notices: [] } }],
    ['PCMU on payload type 8', { tracks: [{ ...(call.tracks[0] as SdpTrackFields), payloadType: 8 }] }],
    ['telephone events on the audio payload type', { tracks: [{ ...(call.tracks[0] as SdpTrackFields), telephoneEventPayloadType: 0 }] }],
    ['no track', { tracks: [] }],
    ['two official tracks', { tracks: [call.tracks[0] as SdpTrackFields, call.tracks[0] as SdpTrackFields] }],
    ['a session name with a line break', { sessionName: 'x\nm=audio 0 RTP/AVP 0' }],
    ['a control with a space', { control: 'rtsp://h/a b' }],
  ])('refuses %s with a RangeError', (_, change) => {
    expect(() => formatSdp({ ...call, ...change })).toThrow(RangeError);
  });

  const alphabet = [...'abcXYZ019 -_.:@/()', '가', '녹', '취', '안', '내'];
  const text = (maxLength: number) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength }).filter((value) => value.trim() === value);
  const option = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const dynamicType = fc.integer({ min: 96, max: 127 });
  const track = fc
    .record({
      port: fc.integer({ min: 0, max: 0xffff }),
      codec: fc.constantFrom('PCMU' as const, 'PCMA' as const),
      staticType: fc.boolean(),
      payloadType: dynamicType,
      telephoneEventPayloadType: option(dynamicType),
      ptimeMs: option(fc.constantFrom(10, 20, 30, 40, 60, 0.5)),
      direction: fc.constantFrom('sendrecv' as const, 'sendonly' as const, 'recvonly' as const, 'inactive' as const),
      control: fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9=_.-]{1,20}$/),
        fc.constant('*'),
        fc.stringMatching(/^[a-z0-9]{1,8}$/).map((path) => `rtsp://capture.local:8554/calls/${path}`),
      ),
    })
    .filter((t) => t.telephoneEventPayloadType !== t.payloadType)
    .map(({ staticType, ...t }): Omit<SdpTrackFields, 'party'> => ({ ...t, payloadType: staticType ? (t.codec === 'PCMU' ? 0 : 8) : t.payloadType }));
  const description: fc.Arbitrary<SessionDescriptionFields> = fc.record({
    origin: fc.record({
      username: fc.stringMatching(/^[A-Za-z0-9-]{1,16}$/),
      sessionId: fc.stringMatching(/^[0-9]{1,20}$/),
      sessionVersion: fc.stringMatching(/^[0-9]{1,20}$/),
      addressType: fc.constantFrom('IP4' as const, 'IP6' as const),
      address: fc.constantFrom('127.0.0.1', '::1', 'capture.local'),
    }),
    sessionName: text(40),
    control: option(fc.constant('*')),
    metadata: fc.record({
      callId: option(fc.stringMatching(/^[A-Za-z0-9._:@-]{1,128}$/)),
      extension: option(fc.stringMatching(/^\+?[0-9](?:[0-9-]{0,30}[0-9])?$/)),
      otherParty: option(fc.stringMatching(/^\+?[0-9](?:[0-9-]{0,30}[0-9])?$/)),
      direction: option(fc.constantFrom('inbound' as const, 'outbound' as const, 'internal' as const)),
      startedAt: option(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })),
      notices: fc.array(text(256), { maxLength: 8 }),
    }),
    tracks: fc.oneof(
      fc.tuple(track, option(fc.constantFrom('official' as const, 'other' as const))).map(([t, party]) => [{ ...t, party }]),
      fc
        .tuple(
          track,
          track,
          fc.constantFrom<['official' | 'other' | undefined, 'official' | 'other' | undefined]>(
            ['official', 'other'],
            ['other', 'official'],
            [undefined, undefined],
            ['official', undefined],
          ),
        )
        .map(([a, b, [partyA, partyB]]) => [
          { ...a, party: partyA },
          { ...b, party: partyB },
        ]),
    ),
  });

  test('property: parse(format(x)) gives x back', () => {
    fc.assert(
      fc.property(description, (input) => {
        const parsed = accepted(parseSdp(formatSdp(input), { baseUrl: 'rtsp://capture.local:8554/calls/x' }));
        const { tracks, ...session } = parsed;
        expect(session).toEqual({ ...input, tracks: undefined });
        expect(tracks.map(({ controlUrl, ...track }) => track)).toEqual(input.tracks);
        tracks.forEach((t) => expect(t.controlUrl.startsWith('rtsp://capture.local:8554/calls/')).toBe(true));
      }),
      { numRuns: 500 },
    );
  });
});
