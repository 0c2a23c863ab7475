/** The regulation's Korean text as the developers' guide lays it out: `../shared/regulation/` beside the project root. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';

const NAME = path.join('regulation', 'gwangmyeong-recording-rules.ko.txt');
/**
 * Beside the project root as the guide lays it out; a clean clone made elsewhere (CI's) finds it where this machine
 * keeps the shared folder, or where REGULATION_DIR says.
 */
const CANDIDATES = [
  ...(process.env.REGULATION_DIR ? [path.join(process.env.REGULATION_DIR, path.basename(NAME))] : []),
  path.join(PROJECT_ROOT, '..', 'shared', NAME),
  path.join('/work', 'shared', NAME),
];

/** The whole Korean regulation; a missing copy fails the test, since the comparison is the point of it. */
export function regulationText(): string {
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(`the regulation is not at ${CANDIDATES.join(' or ')}; put the shared folder beside the project as the guide says`);
  }
  return readFileSync(found, 'utf8');
}

/** The numbered items of Art. 6(2), each line as the regulation prints it ("1. 인허가, …"). */
export function article6Paragraph2Items(): string[] {
  const text = regulationText();
  const start = text.indexOf('② 전수 녹취시스템');
  const end = text.indexOf('제7조', start);
  if (start < 0 || end < 0) throw new Error('Art. 6(2) not found in the regulation text');
  return text
    .slice(start, end)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[0-9]+\. /.test(line));
}
