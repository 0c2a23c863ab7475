/**
 * R1 inside one call: which of the call's audio reaches its recording.
 *
 * A `full` call is recorded from RECORD on. A `selective` call is received (its RTP keeps the session alive and its
 * timeline in step) but nothing of it is kept: there is no file until the official presses the record button. The
 * press opens the recording, which covers the call from that instant on. A stop press writes silence for the
 * instants that follow, so the recording keeps real time and a later press resumes at the right place.
 *
 * The tracks' timelines (capture/rtp.ts) count from RECORD; a recording opened later starts at `base`, the furthest
 * sample any track had reached at that moment. No track has passed it yet, so both channels start at one instant,
 * and the assembly sees a timeline from 0 as it does for a full call.
 */
import { type Codec } from '../domain/recording';
import type { CallAssembly } from './call-assembly';
import { SILENCE } from './g711';
import { G711_SAMPLE_RATE, type CallEvent, type RtpStreamSink } from './rtp';
import type { Party } from './sdp';

type TrackName = Party | 'mixed';

const SAMPLES_PER_MS = G711_SAMPLE_RATE / 1000;

export interface GateStats {
  /** Samples received before the recording was opened: never written anywhere. */
  notRecordedSamples: number;
  /** Samples written as silence because the record button was stopped. */
  mutedSamples: number;
}

export class RecordingGate {
  private assembly: CallAssembly | undefined;
  private readonly downstream = new Map<TrackName, RtpStreamSink>();
  private readonly reached = new Map<TrackName, number>();
  private base = 0;
  private readonly silence: Uint8Array;
  private readonly counters: GateStats = { notRecordedSamples: 0, mutedSamples: 0 };

  /**
   * @param epochWallMs the wall-clock instant of sample 0 of the call's timeline (RECORD)
   * @param recordsAt whether the instant is to be recorded (capture/registration.ts `shouldRecord`)
   */
  constructor(
    codec: Codec,
    private readonly epochWallMs: number,
    private readonly recordsAt: (at: Date) => boolean,
  ) {
    this.silence = new Uint8Array(G711_SAMPLE_RATE).fill(SILENCE[codec]);
  }

  get stats(): Readonly<GateStats> {
    return this.counters;
  }

  get opened(): boolean {
    return this.assembly !== undefined;
  }

  /** The instant a recording opened now would start at. */
  nextStart(): Date {
    return new Date(this.epochWallMs + this.furthest() / SAMPLES_PER_MS);
  }

  /** From now on the call's audio goes to `assembly`, starting at the furthest point any track has reached. */
  open(assembly: CallAssembly): void {
    if (this.assembly) throw new Error('the recording of this call is already open');
    this.base = this.furthest();
    this.assembly = assembly;
  }

  sink(track: TrackName): RtpStreamSink {
    return {
      audio: (sampleOffset, samples) => this.audio(track, sampleOffset, samples),
      event: (event) => this.event(track, event),
    };
  }

  private audio(track: TrackName, sampleOffset: number, samples: Uint8Array): void {
    this.reached.set(track, sampleOffset + samples.length);
    const target = this.target(track);
    if (!target) {
      this.counters.notRecordedSamples += samples.length;
      return;
    }
    // The part of this chunk from before the recording was opened is not kept.
    const cut = Math.min(Math.max(0, this.base - sampleOffset), samples.length);
    this.counters.notRecordedSamples += cut;
    let offset = sampleOffset + cut;
    let data = samples.subarray(cut);
    if (data.length === 0) return;
    if (this.recordsAt(this.instant(offset))) {
      target.audio(offset - this.base, data);
      return;
    }
    // One decision per chunk (a packet, 20 ms): the button's resolution is the packet.
    this.counters.mutedSamples += data.length;
    while (data.length > 0) {
      const length = Math.min(data.length, this.silence.length);
      target.audio(offset - this.base, this.silence.subarray(0, length));
      offset += length;
      data = data.subarray(length);
    }
  }

  private event(track: TrackName, event: CallEvent): void {
    const target = this.target(track);
    if (!target || event.sampleOffset < this.base || !this.recordsAt(this.instant(event.sampleOffset))) return;
    target.event({ ...event, sampleOffset: event.sampleOffset - this.base });
  }

  private target(track: TrackName): RtpStreamSink | undefined {
    if (!this.assembly) return undefined;
    let sink = this.downstream.get(track);
    if (!sink) {
      sink = this.assembly.sink(track);
      this.downstream.set(track, sink);
    }
    return sink;
  }

  private instant(sampleOffset: number): Date {
    return new Date(this.epochWallMs + sampleOffset / SAMPLES_PER_MS);
  }

  private furthest(): number {
    let furthest = 0;
    for (const reached of this.reached.values()) furthest = Math.max(furthest, reached);
    return furthest;
  }
}
