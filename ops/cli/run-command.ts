/**
 * How every command of ops/cli ends: with the exit code its `main` returns, or, when it throws, with the reason on
 * stderr in Korean — `<what failed>: <message> [<code>]` and exit 1 for a refusal the command expects (a coded error
 * of its own), exit 2 for anything else.
 */
import type { CodedError } from '../../domain/coded-error';

export function runCommand(
  main: () => Promise<number>,
  failed: string,
  options: {
    refusals?: readonly (abstract new (...args: never[]) => CodedError<string>)[];
    explain?: (error: unknown) => string | undefined;
    exitCode?: number;
  } = {},
): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const explained = options.explain?.(error);
      if (explained !== undefined) {
        process.stderr.write(`${explained}\n`);
        process.exit(2);
      }
      const refusal = options.refusals?.find((kind) => error instanceof kind) ? (error as CodedError<string>) : undefined;
      if (refusal) {
        process.stderr.write(`${failed}: ${refusal.message} [${refusal.code}]\n`);
        process.exit(1);
      }
      process.stderr.write(`${failed}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(options.exitCode ?? 2);
    },
  );
}
