/**
 * The party's own export (R5, Art. 8(1)): an official who was a party to a call may keep it on the work computer
 * they manage, protected by a password so that nobody else can listen to it. The appliance hands the audio out in
 * no other form: one AES-256 encrypted ZIP (WinZip AE-2) holding one WAV, 16-bit PCM stereo 8 kHz — channel 0 the
 * official, channel 1 the other party — which every player opens, unlike the stored G.711.
 *
 * The ZIP is built in memory: no plain copy of the audio ever reaches a disk. AE-2 stores no CRC of the content,
 * so the archive says nothing checkable about the audio without the password. What stays readable is what ZIP
 * cannot hide, the entry's name and size: the name carries only the call's start time and the official's
 * extension, which the official downloading it already knows.
 */
import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { wallClockDate } from '../domain/korean-time';
import { g711ToPcm16le } from './g711';
import type { StoredRecording } from './recording-store';
import { wavHeader } from './wav';

/** The store's layout (recording-store.ts), checked against each recording's own header before use. */
const CHANNELS = 2;
const SAMPLE_RATE = 8000;

/**
 * Printable ASCII only: archivers turn other characters into bytes in different ways (UTF-8, the OEM code page),
 * so a Korean password set here might not open the file in another program. The strength rules are the API's
 * (EXPORT_PASSWORD_MIN_LENGTH); this is the floor the appliance itself holds to.
 */
export const EXPORT_PASSWORD = /^[\x20-\x7e]{8,128}$/;

/** `recording_20261127-140458_02-2680-1234`: the call's local start time and the extension, ASCII only. */
export function partyExportName(startedAt: Date, extension: string, timeZone: string): string {
  const local = wallClockDate(startedAt, timeZone).toISOString();
  const stamp = `${local.slice(0, 10).replaceAll('-', '')}-${local.slice(11, 19).replaceAll(':', '')}`;
  return `recording_${stamp}_${extension.replace(/[^0-9+-]/g, '')}`;
}

/**
 * The recording as a 16-bit PCM WAV, sample for sample, decoded chunk by chunk as the store authenticates them:
 * between chunks the event loop turns, so the RTP of calls being recorded meanwhile is not left waiting behind an
 * hour-long conversion. The store checks the whole against the trailer's hash at the end, before this returns.
 * The disclosure package (disclosure-package.ts) hands out the same conversion. The caller wipes the result.
 */
export async function pcmWavOf(recording: StoredRecording): Promise<Buffer> {
  const dataBytes = recording.sampleFrames * CHANNELS;
  const storedHeader = wavHeader({ encoding: recording.codec, channels: CHANNELS, sampleRate: SAMPLE_RATE }, dataBytes);
  const pcmHeader = wavHeader({ encoding: 'PCM16', channels: CHANNELS, sampleRate: SAMPLE_RATE }, dataBytes * 2);
  const wav = Buffer.alloc(pcmHeader.length + dataBytes * 2);
  pcmHeader.copy(wav);
  let offset = -1;
  try {
    for await (const part of recording.wav()) {
      if (offset < 0) {
        if (!part.equals(storedHeader)) throw new Error(`recording ${recording.recordingId} is not stereo 8 kHz G.711`);
        offset = pcmHeader.length;
        continue;
      }
      const pcm = g711ToPcm16le(recording.codec, part);
      offset += pcm.copy(wav, offset);
      pcm.fill(0);
    }
    return wav;
  } catch (error) {
    wav.fill(0);
    throw error;
  }
}

/**
 * An in-memory ZIP whose every entry is AES-256 encrypted (WinZip AE-2) under `password`. `lastModDate` is the one
 * date each entry carries: no extra timestamp fields, so the archive says nothing else about time.
 */
export function sealedZipWriter(password: string, lastModDate: Date): ZipWriter<Uint8Array> {
  if (!EXPORT_PASSWORD.test(password)) throw new RangeError('export password must be 8–128 printable ASCII characters');
  return new ZipWriter(new Uint8ArrayWriter(), {
    password,
    encryptionStrength: 3,
    zipCrypto: false,
    useWebWorkers: false,
    extendedTimestamp: false,
    lastModDate,
  });
}

export async function closeSealedZip(writer: ZipWriter<Uint8Array>): Promise<Buffer> {
  const zip = await writer.close();
  return Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
}

export interface PartyExport {
  /** `<name>.zip`; the WAV inside is `<name>.wav`. */
  readonly fileName: string;
  readonly zip: Buffer;
}

/**
 * Decrypts and verifies the recording (its chunks and trailer hash), converts it to PCM and seals it under the
 * password. The plain PCM is wiped before this returns (best effort: copies inside zip.js are left to the GC).
 */
export async function buildPartyExport(
  recording: StoredRecording,
  call: { startedAt: Date; extension: string; timeZone: string },
  password: string,
): Promise<PartyExport> {
  const name = partyExportName(call.startedAt, call.extension, call.timeZone);
  // Before the conversion: a refused password costs no decryption.
  const writer = sealedZipWriter(password, call.startedAt);
  const wav = await pcmWavOf(recording);
  try {
    await writer.add(`${name}.wav`, new Uint8ArrayReader(wav));
    return { fileName: `${name}.zip`, zip: await closeSealedZip(writer) };
  } finally {
    wav.fill(0);
  }
}
