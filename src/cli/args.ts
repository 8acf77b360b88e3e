// Minimal, strict argument parsing shared by the CLIs (node:util parseArgs), and the one place
// that turns a CLI's failure into a message and an exit status.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error { override name = 'UsageError'; }
/** `--help` / `-h` anywhere among a command's options: print the usage and exit 0. */
export class HelpRequested extends Error { override name = 'HelpRequested'; }

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested('help');
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --help)`);
  }
}

/** Errors that are the caller's input or environment, reported without a stack trace (exit 2). */
const EXPECTED = ['UsageError', 'ConfigError', 'KeyFileError', 'RegistryFileError', 'CommitteeError', 'VrfError', 'ManifestError', 'RequestError'];

/**
 * A listening socket's address already taken, as "host:port", from a Node or libp2p error (the
 * code may sit on a wrapped cause; libp2p's TCP transport reports it in the message).
 */
export function addressInUse(e: unknown): string | null {
  for (let x = e as { code?: string; address?: string; port?: number; message?: string; cause?: unknown } | undefined, depth = 0; x && depth < 5; x = x.cause as typeof x, depth++) {
    if (x.code === 'EADDRINUSE' && x.port !== undefined) return `${x.address ?? '127.0.0.1'}:${x.port}`;
    const m = /EADDRINUSE[^\n]*?(\d{1,3}(?:\.\d{1,3}){3}|\[[^\]]+\]|localhost):(\d+)/.exec(String(x.message ?? ''));
    if (m) return `${m[1]}:${m[2]}`;
  }
  return null;
}

export interface MainOptions {
  /** Printed for --help (exit 0). */
  usage?: string;
  /** How to choose another port, named when a listening address is taken (exit 2). */
  portHint?: string;
}

/**
 * What a failed CLI prints and its exit status: usage/config/bad input without a stack trace
 * (exit 2), a taken listening address named with how to change it (exit 2), anything else with its
 * stack (exit 1).
 */
export function describeFailure(e: unknown, o: MainOptions = {}): { code: number; message: string } {
  const err = e as Error;
  const inUse = addressInUse(e);
  if (inUse) return { code: 2, message: `error: ${inUse} is already in use (another process is listening there)${o.portHint ? `; ${o.portHint}` : ''}` };
  if (EXPECTED.includes(err?.name)) return { code: 2, message: `error: ${err.message}` };
  return { code: 1, message: err?.stack ?? String(e) };
}

/**
 * Runs a CLI main; --help prints the usage (exit 0). A failed main prints describeFailure's message
 * and exits at once: a half-started server must not keep the process alive.
 */
export async function runMain(main: () => Promise<number | void>, o: MainOptions = {}): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if ((e as Error)?.name === 'HelpRequested') {
      console.log(o.usage ?? 'no help available');
      process.exitCode = 0;
      return;
    }
    const { code, message } = describeFailure(e, o);
    console.error(message);
    process.exit(code);
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
