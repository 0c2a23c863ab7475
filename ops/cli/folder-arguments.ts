/** The arguments backup and restore share: one folder, and optionally `--keys <folder>` apart from it. */
import { parseArgs } from 'node:util';

export interface FolderArguments {
  folder: string;
  keys?: string;
}

/** The folders, or the exit code when there is nothing to do (`--help`: 0) or the usage is wrong (2, said on stderr). */
export function folderArguments(usage: string, argv = process.argv.slice(2)): FolderArguments | number {
  let parsed: { values: { keys?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { keys: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(usage);
    return 2;
  }
  return { folder: parsed.positionals[0] as string, keys: parsed.values.keys };
}
