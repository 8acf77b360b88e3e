// splitup-validator: the local Solana validator hosting the SplitUp program.
//   splitup-validator start [--dir .splitup/validator] [--host 127.0.0.1] [--port 8899] [--ws-port PORT+1] [--slot-ms 400] [--program-id ID]
//   splitup-validator program-id [--dir DIR]
// The ledger lives in DIR (write-ahead log + snapshots in level): a restart keeps every
// acknowledged transaction. The program id is chosen on first start and kept in DIR.
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { LocalValidator } from '../validator/server.js';
import { METHOD_DOCS, SUBSCRIPTION_DOCS } from '../validator/rpc.js';
import { FINALITY_DEPTH } from '../validator/ledger.js';
import { loadProgramBinary } from '../chain/program.js';
import { parse, runMain, usageFallback } from './args.js';
import { programIdFor } from '../chain/program-id.js';

const list = (docs: Record<string, string>) => Object.entries(docs).map(([m, d]) => `  ${m.padEnd(34)} ${d}`).join('\n');
const USAGE = `usage: splitup-validator start [--dir DIR] [--host H] [--port P] [--ws-port P] [--slot-ms MS] [--program-id ID | --program-id-file F]
       splitup-validator program-id [--dir DIR]

  --port       HTTP JSON-RPC port (default 8899; 0 = ephemeral)
  --ws-port    WebSocket PubSub port (default: the RPC port + 1, where web3.js and kit look)
  --slot-ms    block time (default 400); a slot is confirmed when the next starts, finalized ${FINALITY_DEPTH} slots later

JSON-RPC methods (HTTP):
${list(METHOD_DOCS)}

PubSub methods (WebSocket; each has its *Unsubscribe):
${list(SUBSCRIPTION_DOCS)}

Errors are JSON-RPC error objects with Solana's codes (-32002 preflight failure, -32003 signature
verification, -32004 block not available, -32015 transaction version, -32016 minContextSlot, -326xx).`;

async function main(): Promise<number | void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const opts = { dir: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'ws-port': { type: 'string' }, 'slot-ms': { type: 'string' }, 'program-id': { type: 'string' }, 'program-id-file': { type: 'string' } } as const;
  if (cmd === 'program-id') {
    const { values } = parse(rest, opts);
    console.log(programIdFor(resolve(values.dir ?? '.splitup/validator')).toBase58());
    return 0;
  }
  if (cmd !== 'start') return usageFallback(cmd, USAGE);
  const { values } = parse(rest, opts);
  const dir = resolve(values.dir ?? '.splitup/validator');
  const given = values['program-id'] ?? (values['program-id-file'] ? readFileSync(values['program-id-file'], 'utf8').trim() : undefined);
  const programId = programIdFor(dir, given);
  const v = await LocalValidator.start({
    dataDir: join(dir, 'ledger'), programs: [{ id: programId, so: loadProgramBinary() }],
    host: values.host ?? '127.0.0.1', port: Number(values.port ?? 8899), wsPort: values['ws-port'] !== undefined ? Number(values['ws-port']) : undefined,
    slotMs: Number(values['slot-ms'] ?? 400), logger: true,
  });
  v.app.log.info({ rpcUrl: v.url, wsUrl: v.wsUrl, programId: programId.toBase58(), slot: v.ledger.slot.toString(), dir }, 'local validator started');
  const stop = (signal: string) => {
    v.app.log.info({ signal }, 'shutting down (snapshot, then exit)');
    v.close().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await new Promise(() => {});
}

await runMain(main, { usage: USAGE, portHint: 'choose another with --port P, or stop the other process' });
