/**
 * The upload checks hold what real programs make to be what it is: a PDF printed by LibreOffice and one rewritten by
 * cairo, a page rendered by pdftoppm as PNG and as JPEG (baseline and progressive) are accepted whole, so a city's
 * scans and exports are not refused by checks written against hand-made samples.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkJpeg, checkPdf, checkPng } from '../../api/upload-content';
import { convertToPdf } from '../support/libreoffice';

const run = promisify(execFile);
let folder: string;
let office: string;
beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'upload-content-'));
  const source = path.join(folder, 'statement.txt');
  writeFileSync(source, '민원 응대 경위서\n2026. 11. 27. 14:05 폭언 민원 응대 기록 (정보통신과)\n');
  office = await convertToPdf(source);
}, 120_000);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test('PDFs from LibreOffice and from cairo are accepted', async () => {
  expect(checkPdf(readFileSync(office))).toBeUndefined();
  const cairo = path.join(folder, 'cairo.pdf');
  await run('pdftocairo', ['-pdf', office, cairo]);
  expect(checkPdf(readFileSync(cairo))).toBeUndefined();
});

test('a page rendered as PNG and as baseline and progressive JPEG is accepted', async () => {
  const prefix = path.join(folder, 'page');
  await run('pdftoppm', ['-png', '-r', '60', '-singlefile', office, prefix]);
  expect(checkPng(readFileSync(`${prefix}.png`))).toBeUndefined();
  await run('pdftoppm', ['-jpeg', '-r', '60', '-singlefile', office, prefix]);
  expect(checkJpeg(readFileSync(`${prefix}.jpg`))).toBeUndefined();
  await run('pdftoppm', ['-jpeg', '-jpegopt', 'progressive=y', '-r', '60', '-singlefile', office, `${prefix}-progressive`]);
  expect(checkJpeg(readFileSync(`${prefix}-progressive.jpg`))).toBeUndefined();
});
