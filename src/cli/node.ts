// splitup-node: the compute node's side of liveness.
//   keygen --out FILE                      new node identity (0600); prints the node id
//   id --key FILE                          print the node id of a key file
//   heartbeat --key FILE --oracles URL,URL [--interval MS] [--vram-free MB] [--status idle|busy|draining] [--once] [--transport http|stream]
//   agent --key FILE --oracles URL,URL --rpc URL --program-id ID --authority KEY --cas DIR [--cas-url http(s)://…|s3://… [--cas-token-file F]]
//         [--vram GB] [--tasks 1,2,3,4] [--interval MS] [--airdrop] [--cheat] [--min-compute-ms MS] [--cache-gc-ms MS]   register, stake, specialize, heartbeat, run assigned tasks
//   cas-serve --dir DIR [--port P] [--host H] [--token-file F] [--max-bytes N] [--ttl-ms MS] [--rpc URL --program-id ID --authority KEY ...]
//         the shared content-addressed blob server; with the chain, the collector of its directory
//   cas-gc --cas DIR|s3://… --rpc URL --program-id ID --authority KEY [--every MS] ...   the chain-aware collector of a bucket or shared directory
import { resolve } from 'node:path';
import { SystemClock } from '../common/clock.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { NODE_STATUSES, type NodeStatus } from '../liveness/heartbeat-codec.js';
import { FileSeq, HeartbeatClient } from '../node/heartbeat-client.js';
import { readNodeKey, writeNodeKey } from '../node/keys.js';
import { parse, runMain, usageFallback, UsageError } from './args.js';
import { existsSync, readFileSync } from 'node:fs';
// The compute agent (@solana/web3.js, the chain client) and the CAS server (fastify) are imported
// by `agent` and `cas-serve`: loading them costs ~1.3 s that keygen, id, heartbeat and --help need not pay.

const USAGE = `usage: splitup-node <command> [options]
  keygen --out FILE                 create a node identity (mode 0600) and print its node id
  id --key FILE                     print the node id of a key file
  heartbeat --key FILE --oracles URL[,URL...] [--interval MS] [--vram-free MB]
            [--status idle|busy|draining] [--no-capacity] [--once] [--transport http|stream]
                                    send a signed heartbeat to every oracle every interval
                                    (--transport stream: over one WebSocket per oracle, POST where
                                    an oracle refuses it; default http: a POST each)
  agent --key FILE --oracles URL[,URL...] --rpc URL --program-id ID --authority KEY --cas DIR [--cas-url URL [--cas-token-file F]]
        [--vram GB] [--tasks 1,2,3,4] [--interval MS] [--poll MS] [--poll-only] [--airdrop] [--cheat] [--min-compute-ms MS] [--cache-gc-ms MS]
        [--transport http|stream]
                                    the full compute node: registers with stake and specializations on
                                    chain (if not yet), heartbeats, computes assigned tasks, commits to and
                                    reveals their results (woken by the RPC's WebSocket program
                                    subscription, polling every --poll MS as the fallback; --poll-only:
                                    no subscription; --airdrop funds the key on a local validator (SOL, and test USDC for its stake); --cheat commits wrong
                                    results, for Proof-of-Sampling demonstrations; --min-compute-ms
                                    makes every task take at least that long, like slower hardware; --cas-url:
                                    tensors are shared through a CAS server (http://HOST:PORT) or an
                                    S3-compatible bucket (s3://BUCKET[/PREFIX]?endpoint=URL&region=R, credentials
                                    from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), --cas DIR is the local copy,
                                    collected every --cache-gc-ms (default 600000; 0: never) against the chain)
  cas-serve --dir DIR [--port 8898] [--host 127.0.0.1] [--token-file F] [--max-bytes N] [--ttl-ms MS]
            [--rpc URL --program-id ID --authority KEY [--final-ttl-ms MS] [--grace-ms MS] [--gc-interval-ms MS]]
                                    the content-addressed blob server nodes on other machines share
                                    (GET/PUT /cas/<sha256>; PUT needs the token in F if given). With
                                    --rpc it collects its directory against the chain: a settled
                                    execution's intermediate tensors go, final outputs stay until the
                                    requester releases them (POST /release) or --final-ttl-ms (7 d), a
                                    running execution's never; blobs no execution names (and all,
                                    without --rpc) go when not written or read for --ttl-ms (24 h)
  cas-gc --cas DIR|s3://BUCKET[/PREFIX]?endpoint=URL --rpc URL --program-id ID --authority KEY
         [--ttl-ms MS] [--final-ttl-ms MS] [--grace-ms MS] [--every MS | --once] [--dry-run]
                                    the same collector over an S3 bucket or a shared directory, run by
                                    its owner; one JSON report per pass`;

/** A whole number ≥ 0 option (exit 2 otherwise). */
function ms(name: string, v: string | undefined, dflt: number): number {
  const x = Number(v ?? dflt);
  if (!Number.isSafeInteger(x) || x < 0) throw new UsageError(`--${name} must be a whole number ≥ 0`);
  return x;
}

const GC_OPTIONS = {
  rpc: { type: 'string' }, 'program-id': { type: 'string' }, authority: { type: 'string' },
  'ttl-ms': { type: 'string' }, 'final-ttl-ms': { type: 'string' }, 'grace-ms': { type: 'string' }, 'gc-interval-ms': { type: 'string' },
} as const;
type GcValues = { rpc?: string; 'program-id'?: string; authority?: string; 'ttl-ms'?: string; 'final-ttl-ms'?: string; 'grace-ms'?: string };

/** src/cas/gc.ts DEFAULT_GC_POLICY, not imported: it loads the chain layout, which --help need not pay for */
const DEFAULT_POLICY = () => ({ ttlMs: 24 * 3600_000, finalTtlMs: 7 * 24 * 3600_000, graceMs: 10 * 60_000 });
function gcPolicy(v: GcValues) {
  const d = DEFAULT_POLICY();
  return { ttlMs: ms('ttl-ms', v['ttl-ms'], d.ttlMs), finalTtlMs: ms('final-ttl-ms', v['final-ttl-ms'], d.finalTtlMs), graceMs: ms('grace-ms', v['grace-ms'], d.graceMs) };
}

/** The chain reader the collector needs (--rpc, --program-id, --authority), or null when not given and not required. */
async function chainViewFrom(v: GcValues, required: boolean) {
  if (!v.rpc && !v['program-id'] && !v.authority && !required) return null;
  if (!v.rpc || !v['program-id'] || !v.authority) throw new UsageError('the chain-aware collector needs --rpc URL, --program-id ID and --authority KEY (the committee authority\'s public key)');
  const [{ PublicKey }, { ChainClient }, { chainViewOf }] = await Promise.all([import('@solana/web3.js'), import('../chain/client.js'), import('../cas/gc.js')]);
  let program, authority;
  try {
    program = new PublicKey(v['program-id']);
    // the committee authority's public key, or its key file (the local committee's authority.json)
    authority = existsSync(v.authority) ? new PublicKey(Uint8Array.from(JSON.parse(readFileSync(v.authority, 'utf8'))).subarray(32, 64)) : new PublicKey(v.authority);
  } catch { throw new UsageError('--program-id is a base58 public key; --authority a base58 public key or a key file'); }
  return chainViewOf(new ChainClient(v.rpc, program, authority));
}

/** A store the collector can walk: a directory, or an s3:// bucket. */
async function gcTargetOf(where: string) {
  if (where.startsWith('s3://')) {
    const { S3Blobs } = await import('../cas/s3.js');
    try { return S3Blobs.fromUrl(where); } catch (e) { return badCas(e); }
  }
  if (/^[a-z0-9+]+:\/\//i.test(where) && !where.startsWith('file://')) throw new UsageError(`--cas ${where}: cas-gc collects a directory or an s3:// bucket (an HTTP CAS server collects its own: cas-serve --rpc ...)`);
  const [{ CasStore }, { dirTarget }] = await Promise.all([import('../cas/store.js'), import('../cas/blobs.js')]);
  return dirTarget(new CasStore(resolve(where.startsWith('file://') ? new URL(where).pathname : where)));
}

/** A bad --cas-url as a usage error (exit 2). */
/** --transport: how heartbeats travel (a POST each, or one WebSocket per oracle). */
function transportOf(v: string | undefined): 'http' | 'stream' {
  if (v === undefined || v === 'http' || v === 'stream') return v ?? 'http';
  throw new UsageError('--transport must be http or stream');
}

function badCas(e: unknown): never {
  if ((e as Error)?.name === 'CasError') throw new UsageError((e as Error).message);
  throw e;
}

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
        status: { type: 'string' }, 'no-capacity': { type: 'boolean' }, once: { type: 'boolean' }, 'seq-file': { type: 'string' }, transport: { type: 'string' },
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
        transport: transportOf(values.transport),
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
        'min-compute-ms': { type: 'string' }, 'cas-url': { type: 'string' }, 'cas-token-file': { type: 'string' }, 'cache-gc-ms': { type: 'string' }, transport: { type: 'string' },
      });
      if (!values.key || !values.oracles || !values.rpc || !values['program-id'] || !values.authority || !values.cas) throw new UsageError('agent needs --key, --oracles, --rpc, --program-id, --authority (the committee authority public key) and --cas');
      const oracles = values.oracles.split(',').map((s) => s.trim()).filter(Boolean);
      const tasks = (values.tasks ?? '1,2,3,4').split(',').map(Number);
      if (tasks.some((x) => !Number.isInteger(x) || x < 0)) throw new UsageError('--tasks must be a comma-separated list of task ids');
      const vram = Number(values.vram ?? 24);
      const key = readNodeKey(values.key);
      const cacheGcMs = ms('cache-gc-ms', values['cache-gc-ms'], 600_000);
      const [{ Keypair, PublicKey }, { ChainClient }, { airdrop, faucet, LOCAL_NODE_USDC, registerNode }, { openBlobStore }, { ComputeAgent }, { formatUsdc }] = await Promise.all([
        import('@solana/web3.js'), import('../chain/client.js'), import('../chain/bootstrap.js'), import('../cas/blobs.js'), import('../node/agent.js'), import('../chain/program.js')]);
      const cas = await openBlobStore({ dir: resolve(values.cas), ...(values['cas-url'] ? { url: values['cas-url'] } : {}), ...(values['cas-token-file'] ? { token: readFileSync(values['cas-token-file'], 'utf8').trim() } : {}) }).catch(badCas);
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
        transport: transportOf(values.transport),
      });
      const agent = new ComputeAgent({ chain, keypair, cas, pollMs: Number(values.poll ?? 250), subscribe: !values['poll-only'], cheat: !!values.cheat, minComputeMs: Number(values['min-compute-ms'] ?? 0), log, onEvent: (e) => log(e, e.kind) });
      client.start();
      agent.start();
      // in front of a remote store the directory is this node's cache: it collects it against the
      // chain (a shared directory without --cas-url is its owner's to collect, with cas-gc)
      let cacheGc: { stop: () => Promise<void> } | null = null;
      if (values['cas-url'] && cacheGcMs > 0) {
        const [{ CasStore }, { dirTarget }, { startCollector, chainViewOf }] = await Promise.all([import('../cas/store.js'), import('../cas/blobs.js'), import('../cas/gc.js')]);
        cacheGc = startCollector({ target: dirTarget(new CasStore(resolve(values.cas))), chain: chainViewOf(chain), policy: DEFAULT_POLICY(), everyMs: cacheGcMs,
          onReport: (r) => { if (r.deleted) log(r, 'cache collected'); }, onError: (e) => log({ err: String(e) }, 'cache collector pass failed') });
      }
      const stop = () => { Promise.all([client.stop(), agent.stop(), cacheGc?.stop()]).then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'cas-serve': {
      const { values } = parse(rest, { dir: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'token-file': { type: 'string' }, 'max-bytes': { type: 'string' }, ...GC_OPTIONS });
      if (!values.dir) throw new UsageError('cas-serve needs --dir DIR');
      const port = ms('port', values.port, 8898);
      const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined;
      const chain = await chainViewFrom(values, false);
      const policy = gcPolicy(values);
      const { createCasServer } = await import('../cas/server.js');
      const log = (o: object, msg: string) => console.log(JSON.stringify({ t: new Date().toISOString(), msg, ...o }));
      const server = await createCasServer({
        dir: resolve(values.dir), ...(token ? { token } : {}), maxBytes: ms('max-bytes', values['max-bytes'], 64 * 1024 * 1024), ...policy,
        ...(chain ? { chain } : {}), ...(values['gc-interval-ms'] ? { gcIntervalMs: ms('gc-interval-ms', values['gc-interval-ms'], 60_000) } : {}), logger: { level: 'warn' },
        onCollect: (r) => log(r, 'collected'),
      });
      const address = await server.app.listen({ port, host: values.host ?? '127.0.0.1' });
      log({ address, dir: resolve(values.dir), writes: token ? 'token' : 'open', collector: chain ? 'chain-aware' : 'time to live only', ...server.policy }, 'cas server listening');
      const stop = () => { server.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'cas-gc': {
      const { values } = parse(rest, { cas: { type: 'string' }, every: { type: 'string' }, once: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, ...GC_OPTIONS });
      if (!values.cas) throw new UsageError('cas-gc needs --cas DIR or --cas s3://BUCKET[/PREFIX]?endpoint=URL (the store it collects)');
      const chain = (await chainViewFrom(values, true))!;
      const policy = gcPolicy(values);
      const target = await gcTargetOf(values.cas);
      const { collectGarbage, planCollection, chainRefs } = await import('../cas/gc.js');
      const pass = async () => {
        if (values['dry-run']) {
          const [blobs, execs] = await Promise.all([target.list(), chain.executions()]);
          const models = new Map((await Promise.all([...new Set(execs.map((e) => e.modelId))].map((id) => chain.model(id)))).flatMap((m) => (m ? [[m.modelId, m] as const] : [])));
          const plan = planCollection(blobs, chainRefs(execs, models, new Set()), Date.now(), policy);
          console.log(JSON.stringify({ t: new Date().toISOString(), msg: 'dry run (releases not applied)', where: target.where, plan: plan.map((b) => ({ blob: b.hex, bytes: b.size, reason: b.reason })) }));
          return;
        }
        console.log(JSON.stringify({ t: new Date().toISOString(), msg: 'collected', where: target.where, ...(await collectGarbage(target, chain, policy, Date.now())) }));
      };
      if (values.once || values['dry-run']) { await pass(); return 0; }
      const { startCollector } = await import('../cas/gc.js');
      const loop = startCollector({ target, chain, policy, everyMs: ms('every', values.every, 60_000),
        onReport: (r) => console.log(JSON.stringify({ t: new Date().toISOString(), msg: 'collected', where: target.where, ...r })),
        onError: (e) => console.error(JSON.stringify({ t: new Date().toISOString(), msg: 'collector pass failed', err: String(e) })) });
      const stop = () => { loop.stop().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    default:
      return usageFallback(cmd, USAGE);
  }
}

await runMain(main, { usage: USAGE });
