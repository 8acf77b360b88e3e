// splitup-node: the compute node's side of liveness.
//   keygen --out FILE                      new node identity (0600); prints the node id
//   id --key FILE                          print the node id of a key file
//   heartbeat --key FILE --oracles URL,URL [--interval MS] [--vram-free MB] [--status idle|busy|draining] [--once]
//   agent --key FILE --oracles URL,URL --rpc URL --program-id ID --authority KEY --cas DIR [--cas-url URL [--cas-token-file F]]
//         [--vram GB] [--tasks 1,2,3,4] [--interval MS] [--airdrop] [--cheat] [--min-compute-ms MS]   register, stake, specialize, heartbeat, run assigned tasks
//   cas-serve --dir DIR [--port P] [--host H] [--token-file F] [--max-bytes N] [--ttl-ms MS]   the shared content-addressed blob server
import { resolve } from 'node:path';
import { SystemClock } from '../common/clock.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { NODE_STATUSES, type NodeStatus } from '../liveness/heartbeat-codec.js';
import { FileSeq, HeartbeatClient } from '../node/heartbeat-client.js';
import { readNodeKey, writeNodeKey } from '../node/keys.js';
import { parse, runMain, usageFallback, UsageError } from './args.js';
import { readFileSync } from 'node:fs';
// The compute agent (@solana/web3.js, the chain client) and the CAS server (fastify) are imported
// by `agent` and `cas-serve`: loading them costs ~1.3 s that keygen, id, heartbeat and --help need not pay.

const USAGE = `usage: splitup-node <command> [options]
  keygen --out FILE                 create a node identity (mode 0600) and print its node id
  id --key FILE                     print the node id of a key file
  heartbeat --key FILE --oracles URL[,URL...] [--interval MS] [--vram-free MB]
            [--status idle|busy|draining] [--no-capacity] [--once]
                                    send a signed heartbeat to every oracle every interval
  agent --key FILE --oracles URL[,URL...] --rpc URL --program-id ID --authority KEY --cas DIR [--cas-url URL [--cas-token-file F]]
        [--vram GB] [--tasks 1,2,3,4] [--interval MS] [--poll MS] [--poll-only] [--airdrop] [--cheat] [--min-compute-ms MS]
                                    the full compute node: registers with stake and specializations on
                                    chain (if not yet), heartbeats, computes assigned tasks, commits to and
                                    reveals their results (woken by the RPC's WebSocket program
                                    subscription, polling every --poll MS as the fallback; --poll-only:
                                    no subscription; --airdrop funds the key on a local validator (SOL, and test USDC for its stake); --cheat commits wrong
                                    results, for Proof-of-Sampling demonstrations; --min-compute-ms
                                    makes every task take at least that long, like slower hardware; --cas-url:
                                    tensors are shared through that CAS server, --cas DIR is the local copy)
  cas-serve --dir DIR [--port 8898] [--host 127.0.0.1] [--token-file F] [--max-bytes N] [--ttl-ms MS]
                                    the content-addressed blob server nodes on other machines share
                                    (GET/PUT /cas/<sha256>; PUT needs the token in F if given; a blob
                                    not written or read for --ttl-ms, default 24 h, is deleted)`;

async function main(): Promise<number | void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'keygen': {
      const { values } = parse(rest, { out: { type: 'string' }, force: { type: 'boolean' } });
      if (!values.out) throw new UsageError('keygen needs --out FILE');
      console.log(JSON.stringify({ keyFile: resolve(values.out), nodeId: writeNodeKey(resolve(values.out), undefined, { overwrite: !!values.force }) }));
      return;
    }
    case 'id': {
      const { values } = parse(rest, { key: { type: 'string' } });
      if (!values.key) throw new UsageError('id needs --key FILE');
      console.log(readNodeKey(values.key).nodeId);
      return;
    }
    case 'heartbeat': {
      const { values } = parse(rest, {
        key: { type: 'string' }, oracles: { type: 'string' }, interval: { type: 'string' }, 'vram-free': { type: 'string' },
        status: { type: 'string' }, 'no-capacity': { type: 'boolean' }, once: { type: 'boolean' }, 'seq-file': { type: 'string' },
      });
      if (!values.key || !values.oracles) throw new UsageError('heartbeat needs --key FILE and --oracles URL[,URL...]');
      const oracles = values.oracles.split(',').map((s) => s.trim()).filter(Boolean);
      for (const u of oracles) { try { new URL(u); } catch { throw new UsageError(`not a URL: ${u}`); } }
      const intervalMs = Number(values.interval ?? 30_000);
      if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new UsageError('--interval must be an integer ≥ 10 (ms)');
      const vram = Number(values['vram-free'] ?? 0);
      if (!Number.isInteger(vram) || vram < 0 || vram > 0xffffffff) throw new UsageError('--vram-free must be a u32 (MB)');
      const status = (values.status ?? 'idle') as NodeStatus;
      if (!NODE_STATUSES.includes(status)) throw new UsageError(`--status must be one of ${NODE_STATUSES.join(', ')}`);
      const key = readNodeKey(values.key);
      const client = new HeartbeatClient({
        signer: new Ed25519Signer(key.secretKey),
        oracles,
        clock: SystemClock,
        seq: new FileSeq(values['seq-file'] ?? `${resolve(values.key)}.seq`),
        intervalMs,
        state: () => ({ nodeStatus: status, hasCapacity: !values['no-capacity'], vramFreeMb: vram }),
        onRound: (outs) => console.log(JSON.stringify({ t: new Date().toISOString(), nodeId: key.nodeId, results: outs })),
      });
      if (values.once) {
        const outs = await client.beat();
        return outs.every((o) => o.ok) ? 0 : 1;
      }
      client.start();
      const stop = () => { client.stop().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'agent': {
      const { values } = parse(rest, {
        key: { type: 'string' }, oracles: { type: 'string' }, rpc: { type: 'string' }, 'program-id': { type: 'string' }, authority: { type: 'string' }, cas: { type: 'string' },
        vram: { type: 'string' }, tasks: { type: 'string' }, interval: { type: 'string' }, poll: { type: 'string' }, 'poll-only': { type: 'boolean' }, airdrop: { type: 'boolean' }, cheat: { type: 'boolean' },
        'min-compute-ms': { type: 'string' }, 'cas-url': { type: 'string' }, 'cas-token-file': { type: 'string' },
      });
      if (!values.key || !values.oracles || !values.rpc || !values['program-id'] || !values.authority || !values.cas) throw new UsageError('agent needs --key, --oracles, --rpc, --program-id, --authority (the committee authority public key) and --cas');
      const oracles = values.oracles.split(',').map((s) => s.trim()).filter(Boolean);
      const tasks = (values.tasks ?? '1,2,3,4').split(',').map(Number);
      if (tasks.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError('--tasks must be a comma-separated list of task ids');
      const vram = Number(values.vram ?? 24);
      const key = readNodeKey(values.key);
      const [{ Keypair, PublicKey }, { ChainClient }, { airdrop, faucet, LOCAL_NODE_USDC, registerNode }, { blobStore }, { ComputeAgent }, { formatUsdc }] = await Promise.all([
        import('@solana/web3.js'), import('../chain/client.js'), import('../chain/bootstrap.js'), import('../cas/blobs.js'), import('../node/agent.js'), import('../chain/program.js')]);
      const keypair = Keypair.fromSeed(key.secretKey);
      const chain = new ChainClient(values.rpc, new PublicKey(values['program-id']), new PublicKey(values.authority));
      const log = (o: object, msg: string) => console.log(JSON.stringify({ t: new Date().toISOString(), nodeId: key.nodeId, msg, ...o }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
      if (values.airdrop && (await chain.connection.getBalance(keypair.publicKey)) < 5e9) await airdrop(chain, keypair.publicKey, 20_000_000_000n);
      // the stake is USDC of the committee's mint, from the node's associated token account; --airdrop
      // mints test USDC there on the local validator when the node is not registered yet
      if (values.airdrop && !(await chain.node(keypair.publicKey)) && (await chain.usdcOf(keypair.publicKey)) < LOCAL_NODE_USDC) await faucet(chain, keypair, keypair.publicKey, LOCAL_NODE_USDC);
      await registerNode(chain, keypair, vram, tasks);
      const me = await chain.node(keypair.publicKey);
      log({ vramGb: vram, tasks, stakeUsdc: me ? formatUsdc(me.stake) : null, tokenAccount: chain.program.tokenAccountOf(keypair.publicKey).toBase58() }, 'registered on chain');
      const client = new HeartbeatClient({
        signer: new Ed25519Signer(key.secretKey), oracles, clock: SystemClock, seq: new FileSeq(`${resolve(values.key)}.seq`),
        intervalMs: Number(values.interval ?? 30_000), state: () => ({ nodeStatus: 'idle', hasCapacity: true, vramFreeMb: vram * 1024 }),
      });
      const agent = new ComputeAgent({ chain, keypair, cas: blobStore(resolve(values.cas), values['cas-url'], values['cas-token-file'] ? readFileSync(values['cas-token-file'], 'utf8').trim() : undefined), pollMs: Number(values.poll ?? 250), subscribe: !values['poll-only'], cheat: !!values.cheat, minComputeMs: Number(values['min-compute-ms'] ?? 0), log, onEvent: (e) => log(e, e.kind) });
      client.start();
      agent.start();
      const stop = () => { Promise.all([client.stop(), agent.stop()]).then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'cas-serve': {
      const { values } = parse(rest, { dir: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'token-file': { type: 'string' }, 'max-bytes': { type: 'string' }, 'ttl-ms': { type: 'string' } });
      if (!values.dir) throw new UsageError('cas-serve needs --dir DIR');
      const num = (name: string, v: string | undefined, dflt: number) => {
        const x = Number(v ?? dflt);
        if (!Number.isSafeInteger(x) || x < 0) throw new UsageError(`--${name} must be a whole number ≥ 0`);
        return x;
      };
      const port = num('port', values.port, 8898);
      const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined;
      const { createCasServer } = await import('../cas/server.js');
      const server = await createCasServer({ dir: resolve(values.dir), ...(token ? { token } : {}), maxBytes: num('max-bytes', values['max-bytes'], 64 * 1024 * 1024), ttlMs: num('ttl-ms', values['ttl-ms'], 24 * 3600_000), logger: { level: 'warn' } });
      const address = await server.app.listen({ port, host: values.host ?? '127.0.0.1' });
      console.log(JSON.stringify({ t: new Date().toISOString(), msg: 'cas server listening', address, dir: resolve(values.dir), writes: token ? 'token' : 'open' }));
      const stop = () => { server.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    default:
      return usageFallback(cmd, USAGE);
  }
}

await runMain(main, { usage: USAGE });
