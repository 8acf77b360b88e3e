// vrf: ECVRF (RFC 9381, edwards25519) for auditors.
//   vrf keygen
//   vrf prove  --sk HEX --alpha HEX [--suite S]
//   vrf verify --pk HEX --alpha HEX --pi HEX [--suite S]      exit 0 valid, 1 invalid
//   vrf hash   --pi HEX [--suite S]
// Without the hex options, reads JSON lines from stdin ({"sk","pk","alpha","pi","suite"}, hex
// strings; "op" may override the command) and writes one JSON result per line, so thousands of
// vectors can be checked in one process.
// Exit status: 0 success (verify: the proof is valid); 1 verify found the proof invalid, or in
// JSON-lines mode any line was invalid or failed (every line is still answered, in order);
// 2 bad arguments or input (a malformed key or proof: one line on stderr, no stack trace).
import { createInterface } from 'node:readline';
import { fromHex, toHex } from '../common/bytes.js';
import { SUITES, keygen, proofToHash, prove, publicKeyFromSecret, verify, type Suite } from '../vrf/index.js';
import { parse, runMain, UsageError } from './args.js';

const USAGE = `usage: vrf <keygen|prove|verify|hash> [--suite TAI|ELL2|<RFC suite name>] [--sk HEX] [--pk HEX] [--alpha HEX] [--pi HEX]
  Without hex options, reads JSON lines {"sk","pk","alpha","pi","suite","op"} from stdin and writes one
  JSON line each, in order ("op": prove|verify|hash|keygen overrides the command for that line;
  a line that cannot be processed answers {"error", "code"?}).
  Suites: ${SUITES.join(', ')} (default TAI).
  Exit: 0 ok; 1 a proof did not verify, or (JSON lines) any line was invalid or failed; 2 bad
  arguments or a malformed key/proof given as an option.`;

function suiteOf(s: string | undefined): Suite {
  if (s === undefined || s === 'TAI') return 'ECVRF-EDWARDS25519-SHA512-TAI';
  if (s === 'ELL2') return 'ECVRF-EDWARDS25519-SHA512-ELL2';
  if ((SUITES as readonly string[]).includes(s)) return s as Suite;
  throw new UsageError(`unknown suite "${s}"; use TAI, ELL2 or one of ${SUITES.join(', ')}`);
}

function hexArg(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string') throw new UsageError(`missing ${name} (hex)`);
  try { return fromHex(v); } catch { throw new UsageError(`${name} is not hex`); }
}

type Input = { op?: string; suite?: string; sk?: string; pk?: string; alpha?: string; pi?: string };

function run(op: string, i: Input): Record<string, unknown> {
  const suite = suiteOf(i.suite);
  switch (op) {
    case 'prove': {
      const sk = hexArg(i.sk, 'sk');
      if (sk.length !== 32) throw new UsageError('sk must be 32 bytes');
      const pi = prove(suite, sk, hexArg(i.alpha ?? '', 'alpha'));
      return { suite, pk: toHex(publicKeyFromSecret(sk)), pi: toHex(pi), beta: toHex(proofToHash(suite, pi)) };
    }
    case 'verify': {
      const r = verify(suite, hexArg(i.pk, 'pk'), hexArg(i.alpha ?? '', 'alpha'), hexArg(i.pi, 'pi'));
      return r.valid ? { suite, valid: true, beta: toHex(r.beta) } : { suite, valid: false, code: r.code, message: r.message };
    }
    case 'hash':
      return { suite, beta: toHex(proofToHash(suite, hexArg(i.pi, 'pi'))) };
    case 'keygen': {
      const k = keygen();
      return { sk: toHex(k.secretKey), pk: toHex(k.publicKey) };
    }
    default:
      throw new UsageError(`unknown operation "${op}"`);
  }
}

async function main(): Promise<number | void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || ['help', '--help', '-h'].includes(cmd)) { console.log(USAGE); return cmd ? 0 : 2; }
  if (!['keygen', 'prove', 'verify', 'hash'].includes(cmd)) throw new UsageError(`unknown command "${cmd}"\n${USAGE}`);
  const { values } = parse(rest, { suite: { type: 'string' }, sk: { type: 'string' }, pk: { type: 'string' }, alpha: { type: 'string' }, pi: { type: 'string' }, stdin: { type: 'boolean' } });
  const direct = cmd === 'keygen' || values.sk !== undefined || values.pk !== undefined || values.pi !== undefined;
  if (direct && !values.stdin) {
    const out = run(cmd, values);
    console.log(JSON.stringify(out));
    return out.valid === false ? 1 : 0;
  }
  // JSON lines on stdin
  let failures = 0;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const lines: string[] = [];
  for await (const line of rl) {
    if (!line.trim()) continue;
    let res: Record<string, unknown>;
    try {
      const inp = JSON.parse(line) as Input;
      res = run(inp.op ?? cmd, { suite: values.suite, ...inp });
      if (res.valid === false) failures++;
    } catch (e) {
      failures++;
      const code = (e as { code?: unknown }).code;
      res = { error: (e as Error).message, ...(typeof code === 'string' ? { code } : {}) };
    }
    lines.push(JSON.stringify(res));
    if (lines.length >= 1024) { process.stdout.write(lines.join('\n') + '\n'); lines.length = 0; }
  }
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  return failures ? 1 : 0;
}

await runMain(main, { usage: USAGE });
