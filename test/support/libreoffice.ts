/**
 * Real office software as the judge of generated documents: LibreOffice (Debian, headless) converts a
 * DOCX or XLSX to PDF, pdftotext reads the PDF's text, pdftoppm renders pages for a person to look at.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where page images are kept after a run (ignored by git), for a person to compare with the forms. */
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts');

export async function convertToPdf(file: string): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'lo-profile-'));
  const outDir = path.dirname(file);
  try {
    await run(
      'soffice',
      ['--headless', '--norestore', '--nologo', `-env:UserInstallation=file://${profile}`, '--convert-to', 'pdf', '--outdir', outDir, file],
      { timeout: 120_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  return path.join(outDir, `${path.basename(file, path.extname(file))}.pdf`);
}

export async function pdfText(pdf: string): Promise<string> {
  const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Renders the first page as `test-artifacts/<name>.png` and returns its path. */
export async function savePageImage(pdf: string, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const prefix = path.join(ARTIFACTS_DIR, name);
  await run('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
  return `${prefix}.png`;
}

/** The images placed in a PDF, as `pdfimages -list` reports them: page, pixel width and height, and colour. */
export async function pdfImages(pdf: string): Promise<{ page: number; width: number; height: number; colour: string }[]> {
  const { stdout } = await run('pdfimages', ['-list', pdf]);
  return stdout
    .split('\n')
    .slice(2)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 5 && fields[2] === 'image')
    .map((fields) => ({ page: Number(fields[0]), width: Number(fields[3]), height: Number(fields[4]), colour: fields[5]! }));
}
