/**
 * Art. 7: the announcement shipped for the PBX is what a PBX takes as a prompt — WAV, G.711 µ-law, 8 kHz, mono, as
 * ffprobe (the referee, not our own reader) sees it — and it speaks: a stretch of voice, not silence or a click.
 * It is spoken from the text the settings show beside it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSample } from '../../capture/g711';
import { readWav } from '../../capture/wav';
import { loadSettings } from '../../infra/settings';

const settings = loadSettings({});
const file = settings.announcementAudioFile;

test('the default announcement is the file shipped in the project', () => {
  expect(path.relative(path.resolve(__dirname, '..', '..'), file)).toBe(path.join('templates', 'announcement', 'announcement-ko.wav'));
});

test('ffprobe reads it as WAV, G.711 µ-law, 8000 Hz, one channel, a few seconds long', () => {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' });
  if (probe.error) throw new Error('ffprobe is not on PATH (Debian package ffmpeg)');
  expect(probe.status).toBe(0);
  const { streams, format } = JSON.parse(probe.stdout) as {
    streams: { codec_name: string; sample_rate: string; channels: number; bits_per_sample: number }[];
    format: { format_name: string; duration: string };
  };
  expect(streams).toHaveLength(1);
  expect(streams[0]).toMatchObject({ codec_name: 'pcm_mulaw', sample_rate: '8000', channels: 1, bits_per_sample: 8 });
  expect(format.format_name).toBe('wav');
  // Long enough for a sentence, short enough that callers are not kept waiting.
  expect(Number(format.duration)).toBeGreaterThan(2);
  expect(Number(format.duration)).toBeLessThan(10);
});

test('it holds a second and a half of voice at least, with quiet before and after', () => {
  const bytes = readFileSync(file);
  const wav = readWav(bytes);
  const samples = Array.from(bytes.subarray(wav.dataOffset, wav.dataOffset + wav.dataLength), (code) => decodeSample('PCMU', code));
  // 20 ms frames: a frame above about -40 dBFS is voice, on a line where silence decodes to 0.
  const frame = 160;
  const loud: boolean[] = [];
  for (let start = 0; start + frame <= samples.length; start += frame) {
    const slice = samples.slice(start, start + frame);
    const rms = Math.sqrt(slice.reduce((sum, sample) => sum + sample * sample, 0) / frame);
    loud.push(rms > 32768 * 0.01);
  }
  const voicedSeconds = (loud.filter(Boolean).length * frame) / 8000;
  expect(voicedSeconds).toBeGreaterThan(1.5);
  // The PBX's switching must not clip the first and last syllables.
  expect(loud[0]).toBe(false);
  expect(loud[loud.length - 1]).toBe(false);
});

test('the script that made it speaks the same default text as ANNOUNCEMENT_TEXT', () => {
  const script = readFileSync(path.resolve(__dirname, '..', '..', 'infra', 'scripts', 'make-announcement.sh'), 'utf8');
  expect(script).toContain(`default_text='${settings.announcementText}'`);
  expect(settings.announcementText).toBe('이 통화는 정확한 업무 처리를 위해 녹음됩니다.');
});
