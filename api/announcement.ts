/**
 * The prior-notice announcement (사전고지 안내멘트, Art. 7) as the managing department hands it to the PBX: its text
 * and its audio file, both settings. The file is read when asked for, so a city that replaces it needs no restart,
 * and it is checked as the PBX will take it — WAV, G.711, 8 kHz, mono — before the page offers it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readWav, WavFormatError } from '../capture/wav';
import { ApiError } from './errors';

export interface AnnouncementSettings {
  /** ANNOUNCEMENT_TEXT */
  text: string;
  /** ANNOUNCEMENT_AUDIO_FILE */
  audioFile: string;
}

export type AnnouncementAudio =
  | { state: 'ready'; fileName: string; bytes: Buffer; codec: 'PCMU' | 'PCMA'; durationMs: number }
  | { state: 'unsuitable' | 'missing'; fileName: string; reason: string };

const G711_RATE = 8000;

export async function readAnnouncementAudio(file: string): Promise<AnnouncementAudio> {
  const fileName = path.basename(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { state: 'missing', fileName, reason: '설정된 음성 파일이 없습니다.' };
  }
  try {
    const wav = readWav(bytes);
    if (wav.encoding === 'PCM16' || wav.sampleRate !== G711_RATE || wav.channels !== 1) {
      return {
        state: 'unsuitable',
        fileName,
        reason: `교환기용 형식이 아닙니다: ${wav.encoding === 'PCM16' ? '16비트 PCM' : wav.encoding}, ${wav.sampleRate} Hz, ${wav.channels}채널 (필요: G.711, 8000 Hz, 모노).`,
      };
    }
    return { state: 'ready', fileName, bytes, codec: wav.encoding, durationMs: Math.round((wav.sampleFrames / G711_RATE) * 1000) };
  } catch (error) {
    if (!(error instanceof WavFormatError)) throw error;
    return { state: 'unsuitable', fileName, reason: error.message };
  }
}

/** The file for the PBX, only once it has passed the check above. */
export async function announcementDownload(file: string): Promise<{ fileName: string; bytes: Buffer }> {
  const audio = await readAnnouncementAudio(file);
  if (audio.state !== 'ready') {
    throw new ApiError(404, 'NOT_FOUND', `안내멘트 음성 파일을 내려받을 수 없습니다: ${audio.reason} 설정 ANNOUNCEMENT_AUDIO_FILE을 확인하십시오.`);
  }
  return { fileName: audio.fileName, bytes: audio.bytes };
}
