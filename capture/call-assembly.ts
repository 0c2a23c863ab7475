/**
 * Puts a call's party tracks together into the stereo recording: channel 0 the official, channel 1 the other
 * party, interleaved G.711 as the recording store keeps it.
 *
 * Each track arrives from its RtpStreamReceiver as a contiguous timeline from sample 0, and both receivers of a call
 * share one epoch, so byte n of one track and byte n of the other are the same instant: assembling is pairing them
 * in order. Whichever track is ahead waits in a bounded buffer for the other. If the other stays silent on the wire
 * (one-way audio, a party that never sends, a receiver that stalled) for longer than that buffer, its channel is
 * written as codec silence and whatever it sends later for those instants is dropped and counted: memory stays
 * fixed and the recording keeps real time.
 *
 * A single mixed track (a PBX that sends the call already mixed, or a track without a party) is written as the same
 * mono signal on both channels, so the stored file has one layout whatever the source; a single track that names its
 * party fills that channel and the other is silence.
 *
 * A disk that falls behind is not a failure: the writer takes at most MAX_QUEUED_BYTES waiting, and audio beyond
 * that is refused (here, before the writer would refuse it, so nothing later can overtake it), counted, and written
 * as codec silence as soon as the writer has room again, ahead of any later audio: the recording keeps real time and
 * the call goes on being recorded. Only an error of the writer itself (a failed write) ends the recording.
 *
 * Memory per call: the lead buffer (`maxLeadSamples`, 2 s = 16 KB by default) and a staging buffer of 100 ms of
 * stereo; the writer holds its own one-second chunk and what waits for the disk. Refused audio is a count, not a
 * copy, and the silence written for it comes from one second of silence per codec shared by all calls.
 */
import { type Codec } from '../domain/recording';
import { SILENCE } from './g711';
import { CHUNK_AUDIO_BYTES, MAX_QUEUED_BYTES, RecordingOverrunError, type RecordingWriter } from './recording-store';
import type { CallEvent, RtpStreamSink } from './rtp';
import { G711_SAMPLE_RATE } from './rtp';
import type { Party } from './sdp';

export type CallLayout = 'two-party' | 'mixed' | Party;

const CHANNELS = 2;
const CHANNEL: Readonly<Record<Party, 0 | 1>> = { official: 0, other: 1 };
/** Appending per RTP packet would cost a promise per 20 ms per call; 100 ms batches keep that at 10 per second. */
const STAGING_FRAMES = G711_SAMPLE_RATE / 10;
const DEFAULT_MAX_LEAD_SAMPLES = 2 * G711_SAMPLE_RATE;
/** Telephone events kept per call: DTMF in a phone call is a few dozen; more is a broken or hostile sender. */
const MAX_EVENTS = 256;

/** append copies its argument, so every call can be handed the same silence. */
const silentSeconds = new Map<Codec, Uint8Array>();
function silentSecond(codec: Codec): Uint8Array {
  let silence = silentSeconds.get(codec);
  if (silence === undefined) {
    silence = new Uint8Array(CHUNK_AUDIO_BYTES).fill(SILENCE[codec]);
    silentSeconds.set(codec, silence);
  }
  return silence;
}

export interface AssemblyOptions {
  readonly codec: Codec;
  readonly layout: CallLayout;
  /** How far one track may run ahead of the other before the other's channel is written as silence. */
  readonly maxLeadSamples?: number;
  /** Audio is sealed to disk once it has waited this long unsealed (checked on each tick). */
  readonly maxUnsealedMs?: number;
}

export interface AssemblyStats {
  /** Stereo frames the writer took, audio and silence. */
  frames: number;
  /**
   * Samples written as silence in place of audio, per channel [official, other]: a track fell too far behind, or
   * (on both channels) the writer had no room for the audio while the disk was behind.
   */
  paddedSamples: [number, number];
  /** Samples a track sent for instants already written as silence. */
  droppedSamples: number;
  /** Audio not written because the writer had failed, in stereo frames (with the silence owed for refused audio). */
  lostAfterFailure: number;
  /** Telephone events beyond MAX_EVENTS, not kept. */
  droppedEvents: number;
  flushes: number;
}

export interface PartyEvent {
  readonly party: Party | 'mixed';
  readonly event: CallEvent;
}

export class CallAssembly {
  private readonly silence: number;
  private readonly maxUnsealedMs: number;
  /** Where each channel's timeline is known up to (written, waiting in `lead`, or padded). */
  private readonly end: [number, number] = [0, 0];
  /** The samples of the channel that is ahead, from the other channel's end to its own. */
  private readonly lead: Uint8Array;
  private leadStart = 0;
  private leadLength = 0;
  private readonly staging = new Uint8Array(STAGING_FRAMES * CHANNELS);
  private stagedFrames = 0;
  /** Bytes handed to the writer that it has not sealed yet, mirroring its one-second chunking. */
  private unsealedBytes = 0;
  private unsealedSinceMs: number | undefined;
  /** Bytes handed to the writer whose append has not settled: what the writer counts against MAX_QUEUED_BYTES. */
  private queuedBytes = 0;
  private readonly pending = new Set<Promise<void>>();
  /** Frames refused for want of room and not yet written as silence; later audio waits behind them. */
  private refusedFrames = 0;
  private failure: Error | undefined;
  private finishing = false;
  private readonly collected: PartyEvent[] = [];
  private readonly counters: AssemblyStats = {
    frames: 0,
    paddedSamples: [0, 0],
    droppedSamples: 0,
    lostAfterFailure: 0,
    droppedEvents: 0,
    flushes: 0,
  };

  constructor(
    private readonly writer: Pick<RecordingWriter, 'append' | 'flush' | 'finish'>,
    private readonly options: AssemblyOptions,
  ) {
    this.silence = SILENCE[options.codec];
    this.maxUnsealedMs = options.maxUnsealedMs ?? 800;
    this.lead = new Uint8Array(options.maxLeadSamples ?? DEFAULT_MAX_LEAD_SAMPLES);
  }

  get stats(): Readonly<AssemblyStats> {
    return this.counters;
  }

  get events(): readonly PartyEvent[] {
    return this.collected;
  }

  /**
   * The first error of the writer other than an overrun, if any: the recording is then incomplete (the store can
   * recover what it flushed).
   */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The sink for a party's receiver; for the mixed layout, `mixed`. */
  sink(track: Party | 'mixed'): RtpStreamSink {
    return {
      audio: (sampleOffset, samples) => {
        // finish() has closed the timeline (and may still be waiting for the disk): later audio has no place in it.
        if (this.finishing) return;
        if (track === 'mixed') this.mixed(samples);
        else this.party(CHANNEL[track], sampleOffset, samples);
      },
      event: (event) => {
        if (this.collected.length < MAX_EVENTS) this.collected.push({ party: track, event });
        else this.counters.droppedEvents++;
      },
    };
  }

  /** Called periodically: seals audio that has waited `maxUnsealedMs`, so a crash loses at most about a second. */
  tick(): void {
    if (this.finishing || this.failure) return;
    if (this.stagedFrames > 0 || this.refusedFrames > 0) this.appendStaged();
    if (this.unsealedSinceMs !== undefined && performance.now() - this.unsealedSinceMs >= this.maxUnsealedMs) {
      this.unsealedBytes = 0;
      this.unsealedSinceMs = undefined;
      this.counters.flushes++;
      this.writer.flush().catch((error: Error) => this.fail(error));
    }
  }

  /**
   * Pads the shorter channel to the longer one's end with silence, writes the silence still owed for refused audio
   * once the disk has caught up, and finishes the recording. The writer is finished even after it failed: that
   * closes its file and drops its key, and it then rejects with its own failure.
   */
  async finish(): ReturnType<RecordingWriter['finish']> {
    this.finishing = true;
    const leader = this.end[0] >= this.end[1] ? 0 : 1;
    const leadSamples = this.lead.subarray(this.leadStart, this.leadStart + this.leadLength);
    this.emit(leader, leadSamples, leadSamples.length);
    this.leadLength = 0;
    if (this.stagedFrames > 0) this.appendStaged();
    // Until every append has settled, one may still be refused and owe silence; once they have, stats are final.
    while (!this.failure) {
      this.writeRefused();
      if (this.pending.size === 0) break;
      await Promise.race(this.pending);
    }
    return this.writer.finish();
  }

  private mixed(samples: Uint8Array): void {
    this.emit(undefined, samples, samples.length);
  }

  private party(channel: 0 | 1, sampleOffset: number, samples: Uint8Array): void {
    // Instants already written as silence for this channel (it had fallen behind) are not written twice.
    const skip = Math.max(0, this.end[channel] - sampleOffset);
    if (skip > 0) this.counters.droppedSamples += Math.min(skip, samples.length);
    let data = samples.subarray(Math.min(skip, samples.length));
    if (data.length === 0) return;
    const other = channel === 0 ? 1 : 0;
    this.end[channel] += data.length;
    if (this.options.layout !== 'two-party') {
      // The other channel never gets a track: it is silence, with nothing to wait for.
      this.emit(channel, data, data.length);
      this.end[other] = this.end[channel];
      return;
    }
    if (this.end[channel] - data.length < this.end[other]) {
      // The other channel is ahead: pair with its waiting samples.
      const pairs = Math.min(data.length, this.leadLength);
      this.emitPairs(channel, data.subarray(0, pairs), this.lead.subarray(this.leadStart, this.leadStart + pairs));
      this.leadStart += pairs;
      this.leadLength -= pairs;
      data = data.subarray(pairs);
      if (data.length === 0) return;
    }
    this.keep(channel, other, data);
  }

  /** Keeps samples of the channel that is now ahead; past the bound, the other channel is given up as silence. */
  private keep(channel: 0 | 1, other: 0 | 1, data: Uint8Array): void {
    const overflow = this.leadLength + data.length - this.lead.length;
    if (overflow > 0) {
      const fromLead = Math.min(overflow, this.leadLength);
      this.emit(channel, this.lead.subarray(this.leadStart, this.leadStart + fromLead), fromLead);
      this.leadStart += fromLead;
      this.leadLength -= fromLead;
      const fromData = overflow - fromLead;
      this.emit(channel, data.subarray(0, fromData), fromData);
      data = data.subarray(fromData);
      this.counters.paddedSamples[other] += overflow;
      this.end[other] += overflow;
    }
    if (this.leadStart + this.leadLength + data.length > this.lead.length) {
      this.lead.copyWithin(0, this.leadStart, this.leadStart + this.leadLength);
      this.leadStart = 0;
    }
    this.lead.set(data, this.leadStart + this.leadLength);
    this.leadLength += data.length;
  }

  private emitPairs(channel: 0 | 1, own: Uint8Array, others: Uint8Array): void {
    const left = channel === 0 ? own : others;
    const right = channel === 0 ? others : own;
    for (let index = 0; index < own.length; index++) {
      const at = this.stagedFrames * CHANNELS;
      this.staging[at] = left[index]!;
      this.staging[at + 1] = right[index]!;
      this.staged();
    }
  }

  /** `count` frames: `samples` on `channel` and silence on the other, or on both channels when channel is undefined. */
  private emit(channel: 0 | 1 | undefined, samples: Uint8Array, count: number): void {
    for (let index = 0; index < count; index++) {
      const at = this.stagedFrames * CHANNELS;
      const sample = samples[index]!;
      this.staging[at] = channel === 1 ? this.silence : sample;
      this.staging[at + 1] = channel === 0 ? this.silence : sample;
      this.staged();
    }
  }

  private staged(): void {
    this.stagedFrames++;
    if (this.stagedFrames === STAGING_FRAMES) this.appendStaged();
  }

  private appendStaged(): void {
    const frames = this.stagedFrames;
    this.stagedFrames = 0;
    if (this.failure) {
      this.counters.lostAfterFailure += frames;
      return;
    }
    this.writeRefused();
    if (frames === 0) return;
    if (this.refusedFrames > 0 || this.queuedBytes + frames * CHANNELS > MAX_QUEUED_BYTES) {
      this.refusedFrames += frames;
      return;
    }
    this.hand(this.staging.subarray(0, frames * CHANNELS), false);
  }

  /** Writes silence for refused frames, as much as the writer has room for. */
  private writeRefused(): void {
    const silence = silentSecond(this.options.codec);
    while (this.refusedFrames > 0) {
      const room = Math.floor((MAX_QUEUED_BYTES - this.queuedBytes) / CHANNELS);
      const frames = Math.min(this.refusedFrames, room, silence.length / CHANNELS);
      if (frames <= 0) return;
      this.refusedFrames -= frames;
      this.counters.paddedSamples[0] += frames;
      this.counters.paddedSamples[1] += frames;
      this.hand(silence.subarray(0, frames * CHANNELS), true);
    }
  }

  private hand(stereo: Uint8Array, silence: boolean): void {
    const bytes = stereo.length;
    const frames = bytes / CHANNELS;
    this.counters.frames += frames;
    this.queuedBytes += bytes;
    // append copies its argument before it first awaits, so the staging buffer can be reused at once.
    const settled: Promise<void> = this.writer.append(stereo).then(
      () => {
        this.queuedBytes -= bytes;
        this.pending.delete(settled);
      },
      (error: Error) => {
        this.queuedBytes -= bytes;
        this.pending.delete(settled);
        this.counters.frames -= frames;
        if (silence) {
          this.counters.paddedSamples[0] -= frames;
          this.counters.paddedSamples[1] -= frames;
        }
        if (!(error instanceof RecordingOverrunError)) this.fail(error);
        if (this.failure) this.counters.lostAfterFailure += frames;
        // Our count keeps within the store's bound; a writer that refuses all the same costs these frames their
        // place (later audio is already queued behind them), not the recording's length.
        else this.refusedFrames += frames;
      },
    );
    this.pending.add(settled);
    this.unsealedSinceMs ??= performance.now();
    this.unsealedBytes += bytes;
    if (this.unsealedBytes >= CHUNK_AUDIO_BYTES) {
      // The writer sealed a full chunk; what is left over started waiting now.
      this.unsealedBytes %= CHUNK_AUDIO_BYTES;
      this.unsealedSinceMs = this.unsealedBytes > 0 ? performance.now() : undefined;
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.counters.lostAfterFailure += this.refusedFrames;
    this.refusedFrames = 0;
  }
}
