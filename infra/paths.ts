import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project root, whether this code runs from its TypeScript source or from dist/. */
function findProjectRoot(): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'package.json'))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const PROJECT_ROOT = findProjectRoot();
/** Tools the project installs itself (Temporal CLI, Java test server); ignored by git. */
export const TOOLS_DIR = path.join(PROJECT_ROOT, 'tools');
