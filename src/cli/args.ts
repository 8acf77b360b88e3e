// Minimal, strict argument parsing shared by the CLIs (node:util parseArgs).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error { override name = 'UsageError'; }

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Runs a CLI main, printing usage/config errors without a stack trace (exit 2) and others with one (exit 1). */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    const err = e as Error;
    if (['UsageError', 'ConfigError', 'KeyFileError', 'RegistryFileError', 'CommitteeError'].includes(err.name)) {
      console.error(`error: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  }
}

/** What a CLI does with no command, `help`, or an unknown command. */
export function usageFallback(cmd: string | undefined, usage: string): number {
  if (cmd === undefined || ['help', '--help', '-h'].includes(cmd)) {
    console.log(usage);
    return cmd ? 0 : 2;
  }
  throw new UsageError(`unknown command "${cmd}"\n${usage}`);
}
