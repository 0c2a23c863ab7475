/**
 * The recipient's signature drawn on screen (Form 2): a PNG as the browser's canvas makes it (8-bit RGBA), sent as a
 * data URL. It is decoded here, not trusted: a blank pad, a picture of something else dressed as PNG or a huge image
 * is refused before anything is stored, with a message the operator can act on.
 */
import { inflateSync } from 'node:zlib';
import { ApiError } from './errors';
import { readPng, unfilterRows, type PngImage } from './upload-content';

export const SIGNATURE_MAX_BYTES = 200 * 1024;
/** base64 of the largest PNG, with its `data:image/png;base64,` prefix. */
export const SIGNATURE_MAX_DATA_URL = 22 + Math.ceil(SIGNATURE_MAX_BYTES / 3) * 4;
const WIDTH = { min: 200, max: 2000 };
const HEIGHT = { min: 80, max: 1000 };
/** Fewer inked pixels than this is a dot or a slip, not a signature. */
export const SIGNATURE_MIN_INK_PIXELS = 150;
const RGBA = 6;

export interface SignatureImage {
  png: Buffer;
  width: number;
  height: number;
  inkPixels: number;
}

const refuse = (message: string, detail?: Record<string, unknown>) => new ApiError(400, 'INVALID_SIGNATURE', message, detail);

function readChunks(png: Buffer): PngImage {
  const reading = readPng(png);
  if (reading.ok) return reading.image;
  if (reading.problem === 'not_png') throw refuse('서명 이미지가 PNG가 아닙니다.');
  if (reading.problem === 'checksum') throw refuse('서명 이미지가 손상되었습니다 (PNG 검사합 불일치).');
  throw refuse('서명 이미지가 온전한 PNG가 아닙니다.', { problem: reading.detail });
}

/** Undoes the PNG row filters and counts the pixels that are not transparent. */
function countInk(raw: Buffer, width: number, height: number): number {
  const pixels = unfilterRows(raw, width * 4, height, 4);
  if (!pixels) throw refuse('서명 이미지가 온전한 PNG가 아닙니다 (알 수 없는 필터).');
  let ink = 0;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha]! >= 32) ink += 1;
  return ink;
}

/** The signature from its data URL, or a Korean refusal saying what is wrong with it. */
export function parseSignature(dataUrl: string): SignatureImage {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/.exec(dataUrl);
  if (!match) throw refuse('서명이 없습니다. 서명란에 서명한 뒤 기록하십시오.');
  const png = Buffer.from(match[1]!, 'base64');
  if (png.length > SIGNATURE_MAX_BYTES) throw refuse(`서명 이미지가 너무 큽니다 (${Math.round(SIGNATURE_MAX_BYTES / 1024)} KB까지).`);
  const chunks = readChunks(png);
  const { width, height } = chunks;
  if (width < WIDTH.min || width > WIDTH.max || height < HEIGHT.min || height > HEIGHT.max) {
    throw refuse(`서명 이미지의 크기(${width}×${height})가 서명란에 맞지 않습니다.`, { width, height });
  }
  if (chunks.bitDepth !== 8 || chunks.colourType !== RGBA || chunks.interlace !== 0) {
    throw refuse('서명 이미지는 화면 서명란이 만드는 형식(8비트 RGBA PNG)이어야 합니다.');
  }
  let raw: Buffer;
  try {
    raw = inflateSync(chunks.data, { maxOutputLength: height * (width * 4 + 1) });
  } catch {
    throw refuse('서명 이미지가 온전한 PNG가 아닙니다 (압축 해제 실패).');
  }
  if (raw.length !== height * (width * 4 + 1)) throw refuse('서명 이미지가 온전한 PNG가 아닙니다 (크기 불일치).');
  const inkPixels = countInk(raw, width, height);
  if (inkPixels < SIGNATURE_MIN_INK_PIXELS) throw refuse('서명란이 비어 있습니다. 인수자가 서명한 뒤 기록하십시오.', { inkPixels });
  return { png, width, height, inkPixels };
}
