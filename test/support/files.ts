import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under a folder (relative path → size): what a step left on disk, compared before and after. */
export function filesUnder(folder: string): Map<string, number> {
  const found = new Map<string, number>();
  if (!existsSync(folder)) return found;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      found.set(path.relative(folder, file), statSync(file).size);
    }
  }
  return found;
}
