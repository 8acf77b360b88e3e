// `npm start`: a whole SplitUp committee on 127.0.0.1, on embedded defaults.
// Generates (once) under ./.splitup/local: oracle identities and configs, a committee file and
// compute-node keys; then starts, as separate processes, the local validator (the SplitUp
// program in LiteSVM behind Solana JSON-RPC), the oracles (heartbeats, BFT liveness rounds over
// libp2p, ECVRF selection, assignTask votes) and the compute-node agents (registration with
// stake, heartbeats, task execution on the CPU, outputs in a content-addressed store). A
// requester streams executions of the example model. One agent cheats (reports wrong results:
// Proof of Sampling slashes it when sampled) and one is killed while it holds a task (its task
// is reassigned after the timeout). A live view shows heartbeats, committed rounds, assignments,
// completions, verifications and payments; the end prints a summary with an audit of every
// assignment on chain (q matching votes, and the node re-derived from the published proof).
// Ctrl-C (SIGINT) or SIGTERM stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { ExecutionAccount } from '../chain/layout.js';
import type { AuditResult } from '../chain/audit.js';
import { parse } from './args.js';

const USAGE = `usage: npm start -- [options]   (or: node bin/local.js [options])
Runs a local SplitUp committee on 127.0.0.1: the local validator, N oracles, compute-node agents
and a requester, with a live view; Ctrl-C stops everything and prints a summary and audit.
  --dir DIR               state directory (default .splitup/local); kept between runs
  --fresh                 delete the state of an earlier run in DIR first (new keys, new chain)
  --oracles N             oracles, 3..10 (default 4)
  --nodes N               compute nodes (default 5)
  --cheaters N            nodes that report wrong results (default 1)
  --no-crash-node         do not kill a node while it holds a task
  --requests N            executions to request (default 12)
  --request-every-ms MS   time between requests (default 2500)
  --p P                   Proof-of-Sampling probability (default 0.10)
  --interval-ms MS        heartbeat interval = liveness round length (default 2000)
  --slot-ms MS            validator block time (default 400)
  --base-port P           oracle HTTP P..P+N-1, libp2p P+100..P+100+N-1, validator P+200 (default 7700)
  --cas-http              tensors shared only through a CAS server (P+202) with a directory per node,
                          as on separate machines; the server collects its directory against the
                          chain (default: one shared directory)
  --cas-url URL           tensors shared only through that store (an S3-compatible bucket,
                          s3://BUCKET[/PREFIX]?endpoint=URL with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
                          in the environment, or a CAS server you run), a directory per node
  --netns                 each compute node in a network namespace of its own, joined to the
                          committee's namespace (validator, oracles, CAS server) by a veth pair:
                          nodes reach the committee only over that link and share tensors only
                          through the CAS server (implies --cas-http); Linux, root, iproute2
  --duration-s S          stop after S seconds
  --exit-when-done        stop once every requested execution is done
  --summary FILE          write the summary as JSON to FILE (no live view)
  -h, --help              this help`;

const OPTIONS = {
  dir: { type: 'string', default: '.splitup/local' },
  fresh: { type: 'boolean', default: false },
  oracles: { type: 'string', default: '4' },
  nodes: { type: 'string', default: '5' },
  'base-port': { type: 'string', default: '7700' },
  'interval-ms': { type: 'string', default: '2000' },
  'slot-ms': { type: 'string', default: '400' },
  requests: { type: 'string', default: '12' },
  'request-every-ms': { type: 'string', default: '2500' },
  p: { type: 'string', default: '0.10' },
  cheaters: { type: 'string', default: '1' },
  'crash-node': { type: 'boolean', default: true },
  'no-crash-node': { type: 'boolean', default: false },
  'exit-when-done': { type: 'boolean', default: false },
  'duration-s': { type: 'string' },
  summary: { type: 'string' },
  'cas-http': { type: 'boolean', default: false },
  'cas-url': { type: 'string' },
  netns: { type: 'boolean', default: false },
} as const;
let parsed;
try { parsed = parse(process.argv.slice(2), OPTIONS); } catch (e) {
  if ((e as Error).name === 'HelpRequested') { console.log(USAGE); process.exit(0); }
  console.error(`error: ${(e as Error).message}\n(see --help)`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (positionals.length) { console.error(`error: unexpected argument "${positionals[0]}"\n(see --help)`); process.exit(2); }
const dir = resolve(values.dir!);
const nOracles = Number(values.oracles), nNodes = Number(values.nodes), basePort = Number(values['base-port']);
const intervalMs = Number(values['interval-ms']), slotMs = Number(values['slot-ms']);
const nRequests = Number(values.requests), requestEvery = Number(values['request-every-ms']);
const pPpm = Math.round(Number(values.p) * 1_000_000), nCheaters = Number(values.cheaters);
const crashNode = values['crash-node'] && !values['no-crash-node'];
const fail = (msg: string): never => { console.error(`error: ${msg}`); process.exit(2); };
if (!(nOracles >= 3 && nOracles <= 10)) fail('--oracles must be 3..10 (the program\'s committee size)');
if (!(nNodes >= 2 && intervalMs >= 200 && slotMs >= 50 && nRequests >= 0)) fail('--nodes ≥ 2, --interval-ms ≥ 200, --slot-ms ≥ 50, --requests ≥ 0');
if (!(Number.isFinite(pPpm) && pPpm > 0 && pPpm <= 1_000_000)) fail('--p must be a probability in (0, 1]');
if (nCheaters + (crashNode ? 1 : 0) >= nNodes) fail('need at least one honest node that is neither cheating nor crashed');
if (!(Number.isInteger(basePort) && basePort >= 1024 && basePort + 200 <= 65535)) fail('--base-port must be 1024..65335');
if (values['cas-http'] && values['cas-url']) fail('--cas-http (a CAS server of its own) or --cas-url URL (a store you run), not both');
if (values['cas-url'] && !/^(https?|s3):\/\//.test(values['cas-url'])) fail('--cas-url is http(s)://HOST:PORT or s3://BUCKET[/PREFIX]?endpoint=URL');

// --netns: this process sets up the namespaces, runs the launcher again inside the committee's
// namespace (SPLITUP_NETNS names the topology there) and deletes them when it ends
const inside: import('../common/netns.js').NetnsTopology | null = process.env.SPLITUP_NETNS ? JSON.parse(process.env.SPLITUP_NETNS) : null;
if (values.netns && !inside) {
  const { createTopology, destroyTopology, netnsUnavailable } = await import('../common/netns.js');
  const why = netnsUnavailable();
  if (why) fail(`--netns: ${why}`);
  const topo = createTopology(nNodes);
  console.log(`network namespaces: committee in ${topo.core}; nodes in ${topo.nodes.map((n) => `${n.ns} (${n.nodeAddr} → ${n.coreAddr})`).join(', ')}`);
  const child = spawn('ip', ['netns', 'exec', topo.core, process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, SPLITUP_NETNS: JSON.stringify(topo) } });
  process.on('SIGINT', () => {}); // the terminal's Ctrl-C reaches the launcher inside too; it stops, then we clean up
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 1 : 0))));
  const left = destroyTopology(topo);
  if (left.length) console.error(`could not delete: ${left.join('; ')}`);
  else console.log(`network namespaces deleted (${topo.nodes.length + 1})`);
  process.exit(code);
}
if (inside && inside.nodes.length < nNodes) fail('SPLITUP_NETNS has fewer node namespaces than --nodes');
// inside the committee's namespace its services listen on every address of that namespace (its
// loopback and the committee's end of each node's link); nodes address it over their own link
const bindHost = inside ? '0.0.0.0' : '127.0.0.1';
const casHttp = values['cas-http'] || (!!inside && !values['cas-url']);
const reach = (url: string, i: number) => (inside ? url.replace('//127.0.0.1:', `//${inside.nodes[i]!.coreAddr}:`) : url);

// State the launcher reads in stop(): declared before anything can fail and call it.
const requested: bigint[] = [];
let started = Date.now();
let running = false; // the committee is up and the requester has started
let lastExecs: ExecutionAccount[] = [];
const t0 = Date.now();
const step = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);

// ---- the ports this run listens on, checked before anything starts
const ports = [
  ...Array.from({ length: nOracles }, (_, i) => ({ port: basePort + i, what: `oracle-${i + 1} HTTP` })),
  ...Array.from({ length: nOracles }, (_, i) => ({ port: basePort + 100 + i, what: `oracle-${i + 1} libp2p` })),
  { port: basePort + 200, what: 'the local validator\'s JSON-RPC' },
  ...(casHttp ? [{ port: basePort + 202, what: 'the CAS server' }] : []),
];
const portFree = (port: number) => new Promise<boolean>((res) => {
  const srv = createServer();
  srv.once('error', () => res(false));
  srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => res(true)));
});
for (const { port, what } of ports) {
  if (!(await portFree(port))) {
    console.error(`error: port ${port} on 127.0.0.1 (${what}) is already in use; another committee may be running.\n`
      + `Choose other ports with --base-port P (this run uses P..P+${nOracles - 1}, P+100..P+${100 + nOracles - 1} and P+200; now P = ${basePort}).`);
    process.exit(2);
  }
}

// The committee's modules (Solana, libp2p, LiteSVM clients) load only now: --help, a bad option, a
// taken port or a refused --fresh answer at once.
const { Keypair, LAMPORTS_PER_SOL } = await import('@solana/web3.js');
const { CONFIG_VERSION } = await import('../oracle/config.js');
const { generateOracleKeys, readOracleKeys, writeOracleKeys } = await import('../oracle/keys.js');
const { memberEntry } = await import('../oracle/member.js');
const { peerIdFromSeed } = await import('../p2p/peer-id.js');
const { COMMITTEE_VERSION, loadCommittee } = await import('../consensus/committee.js');
const { readNodeKey, writeNodeKey } = await import('../node/keys.js');
const { ChainClient } = await import('../chain/client.js');
const { airdrop, bootstrapChain, faucet } = await import('../chain/bootstrap.js');
const { MODEL_ID } = await import('../chain/example-model.js');
const { programIdFor } = await import('../chain/program-id.js');
const { DEFAULT_PARAMS, economicsBoundPpm, formatUsdc, quorumFor, USDC } = await import('../chain/program.js');
const { ExecStatus, NodeStatus, Phase, Sampled, VerifyResult } = await import('../chain/layout.js');
const { auditBooks, auditExecution } = await import('../chain/audit.js');
const { blobStore, openBlobStore } = await import('../cas/blobs.js');
const { closeExecution, requestExecution } = await import('../requester/requester.js');
const { exampleInput } = await import('../model/example.js');
if (!(pPpm > economicsBoundPpm(DEFAULT_PARAMS) && pPpm <= 1_000_000)) fail(`--p must exceed the PoSP bound C/((1-r)(R+S)) = ${(economicsBoundPpm(DEFAULT_PARAMS) / 1e6).toFixed(4)} and be at most 1`);

// ---- state: kept in dir between runs; --fresh starts over
const OURS = /^(nodes|validator|cas|cas-server|cas-token|requester-cas|committee\.json|authority\.json|oracle-\d+)$/;
if (values.fresh && existsSync(dir)) {
  const foreign = readdirSync(dir).filter((f) => !OURS.test(f));
  if (foreign.length) fail(`--fresh: ${dir} holds files this launcher did not create (${foreign.slice(0, 3).join(', ')}); not deleting it`);
  rmSync(dir, { recursive: true, force: true });
}
const reused = existsSync(join(dir, 'committee.json'));
step(reused
  ? `state: reusing ${dir} from an earlier run (same keys and chain: nodes slashed before stay slashed; --fresh starts over)`
  : `state: ${dir} (new: generating oracle identities, node keys and the committee file)`);

// ---- identities and configs (first run), under dir
mkdirSync(dir, { recursive: true, mode: 0o700 });
const nodeKeyFiles = Array.from({ length: nNodes }, (_, i) => {
  const f = join(dir, 'nodes', `node-${i + 1}.json`);
  if (!existsSync(f)) writeNodeKey(f);
  return f;
});
const nodeKeys = nodeKeyFiles.map((f) => readNodeKey(f));
const validatorDir = join(dir, 'validator');
const programId = programIdFor(validatorDir);
// the committee authority (the on-chain committee's address is derived from it), kept with the chain
const authorityFile = join(dir, 'authority.json');
if (!existsSync(authorityFile)) writeFileSync(authorityFile, JSON.stringify(Array.from(Keypair.generate().secretKey)), { mode: 0o600 });
const authority = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(authorityFile, 'utf8'))));
const rpcUrl = `http://127.0.0.1:${basePort + 200}`;
const casDir = join(dir, 'cas');
const oracleDirs = Array.from({ length: nOracles }, (_, i) => {
  const d = join(dir, `oracle-${i + 1}`);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  if (!existsSync(join(d, 'oracle-key.json'))) writeOracleKeys(join(d, 'oracle-key.json'), generateOracleKeys());
  return d;
});
const urls = oracleDirs.map((_, i) => `http://127.0.0.1:${basePort + i}`);
const p2pAddrs = oracleDirs.map((_, i) => `/ip4/127.0.0.1/tcp/${basePort + 100 + i}`);
const committeeFile = join(dir, 'committee.json');
const members = await Promise.all(oracleDirs.map(async (d, i) => {
  const keys = readOracleKeys(join(d, 'oracle-key.json'));
  return memberEntry(keys, `oracle-${i + 1}`, [p2pAddrs[i]!], urls[i]!, await peerIdFromSeed(keys.libp2pSeed));
}));
let previous: { members?: unknown; params?: { epochMs?: number } } = {};
try { previous = JSON.parse(readFileSync(committeeFile, 'utf8')); } catch { /* first run */ }
if (JSON.stringify(previous.members) !== JSON.stringify(members) || previous.params?.epochMs !== intervalMs) {
  writeFileSync(committeeFile, JSON.stringify({
    version: COMMITTEE_VERSION,
    params: { epochMs: intervalMs, genesisMs: Date.now() - (Date.now() % intervalMs), proposeTimeoutMs: 1000, prevoteTimeoutMs: 500, precommitTimeoutMs: 500, timeoutDeltaMs: 500, maxSkewMs: 2000, liveness: { intervalMs, missedForOffline: 3, graceMs: Math.floor(intervalMs / 4) } },
    members,
  }, null, 2) + '\n');
}
const committee = loadCommittee(committeeFile);
oracleDirs.forEach((d, i) => writeFileSync(join(d, 'oracle.json'), JSON.stringify({
  version: CONFIG_VERSION, dataDir: '.', keyFile: 'oracle-key.json',
  http: { host: bindHost, port: basePort + i }, heartbeat: { intervalMs, graceMs: Math.floor(intervalMs / 4) },
  log: { level: 'warn' }, committeeFile: '../committee.json',
  chain: { rpcUrl, programId: programId.toBase58(), committeeAuthority: authority.publicKey.toBase58(), pollMs: 200, proofTimeoutMs: 2000, registryRefreshMs: 1000 },
}, null, 2) + '\n'));

// ---- processes
const children: Array<{ name: string; proc: ChildProcess }> = [];
const bin = (f: string) => new URL(`../../bin/${f}`, import.meta.url).pathname;
function launch(name: string, script: string, args: string[], netns?: string): ChildProcess {
  // Own process group: a terminal's Ctrl-C signals the whole foreground group, which would kill the
  // validator and oracles before stop() reads the chain for the summary; the launcher stops them
  // in order instead (and kills any left if it exits some other way, below).
  // (in a node's namespace: `ip netns exec` enters it and then runs node itself, same pid)
  const argv = [process.execPath, bin(script), ...args];
  const [cmd, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const proc = spawn(cmd!, rest, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  proc.stderr!.on('data', (b) => { if (!stopping) process.stderr.write(`[${name}] ${b}`); });
  children.push({ name, proc });
  return proc;
}
async function waitUntil(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end || children.some((c) => c.proc.exitCode !== null && c.name !== crashed?.name)) { console.error(`error: ${what} did not happen; see messages above`); await stop(1); }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let stopping = false;
let view: NodeJS.Timeout | undefined, requestTimer: NodeJS.Timeout | undefined, crashWatch: NodeJS.Timeout | undefined;
let crashed: { name: string; node: string; exec: string; task: number; attempt: number } | null = null;
step(`starting the local validator (127.0.0.1:${basePort + 200}, ${slotMs} ms blocks)`);
launch('validator', 'validator.js', ['start', '--dir', validatorDir, '--host', bindHost, '--port', String(basePort + 200), '--slot-ms', String(slotMs)]);
const chain = new ChainClient(rpcUrl, programId, authority.publicKey);
await waitUntil('the local validator start', async () => (await fetch(`${rpcUrl}/health`)).ok);
step('setting up the chain: committee, example tasks and model, oracle fee accounts');
const oracleAddresses = oracleDirs.map((d) => Keypair.fromSeed(readOracleKeys(join(d, 'oracle-key.json')).signingSeed).publicKey); // an oracle's chain address is its signing key
await bootstrapChain(chain, { oracles: oracleAddresses, params: { ...DEFAULT_PARAMS, pPpm }, authority });
for (const a of oracleAddresses) await airdrop(chain, a, 100n * BigInt(LAMPORTS_PER_SOL)); // transaction fees
const onChain = await chain.committee();
if (onChain && onChain.pPpm !== pPpm) console.error(`note: the chain in ${validatorDir} was set up with p = ${onChain.pPpm / 1e6}; --p applies to a new --dir`);

step(`starting ${nOracles} oracles (HTTP 127.0.0.1:${basePort}-${basePort + nOracles - 1}, libp2p ${basePort + 100}-${basePort + 100 + nOracles - 1}) and waiting until each is ready`);
oracleDirs.forEach((d, i) => launch(`oracle-${i + 1}`, 'oracle.js', ['start', '--config', join(d, 'oracle.json')]));
await waitUntil('every oracle ready', async () => (await Promise.all(urls.map(async (u) => (await fetch(`${u}/readyz`)).ok))).every(Boolean), 60_000);

// tensors: one directory every process shares, or (--cas-http) a CAS server and a directory per node
const casUrl = `http://127.0.0.1:${basePort + 202}`, casTokenFile = join(dir, 'cas-token');
if (casHttp) {
  if (!existsSync(casTokenFile)) writeFileSync(casTokenFile, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  step(`starting the CAS server (${casUrl}); each compute node keeps its own directory and shares tensors only through it`);
  // with the chain: the server collects its directory (settled executions' intermediates; finals once released)
  launch('cas', 'node.js', ['cas-serve', '--dir', join(dir, 'cas-server'), '--host', bindHost, '--port', String(basePort + 202), '--token-file', casTokenFile,
    '--rpc', rpcUrl, '--program-id', programId.toBase58(), '--authority', authority.publicKey.toBase58()]);
  await waitUntil('the CAS server start', async () => (await fetch(`${casUrl}/healthz`)).ok);
}
const casArgs = (i: number) => casHttp ? ['--cas', join(dir, 'nodes', `cas-${i + 1}`), '--cas-url', reach(casUrl, i), '--cas-token-file', casTokenFile]
  : values['cas-url'] ? ['--cas', join(dir, 'nodes', `cas-${i + 1}`), '--cas-url', values['cas-url']] : ['--cas', casDir];
const cheaters = new Set(nodeKeys.slice(nNodes - nCheaters).map((k) => k.nodeId));
const crashCandidate = crashNode ? nodeKeys[0]!.nodeId : null;
const agents = new Map<string, ChildProcess>();
step(`starting ${nNodes} compute nodes and waiting for their registration (stake) on chain`);
nodeKeys.forEach((k, i) => {
  agents.set(k.nodeId, launch(`node-${i + 1}`, 'node.js', ['agent', '--key', nodeKeyFiles[i]!, '--oracles', urls.map((u) => reach(u, i)).join(','), '--rpc', reach(rpcUrl, i), '--program-id', programId.toBase58(), '--authority', authority.publicKey.toBase58(),
    ...casArgs(i), '--airdrop', '--interval', String(intervalMs), '--poll', '200', '--vram', String(8 * (1 + (i % 3))), ...(cheaters.has(k.nodeId) ? ['--cheat'] : []),
    // the node to crash takes 3 s per task, so it is killed while it holds one (not after reporting it)
    ...(k.nodeId === crashCandidate ? ['--min-compute-ms', '3000'] : [])], inside?.nodes[i]!.ns));
});
await waitUntil('every node registered on chain', async () => (await chain.nodes()).length >= nNodes, 60_000);

// ---- the requester: a stream of executions of the example model (model input in the CAS)
const cas = casHttp ? blobStore(join(dir, 'requester-cas'), casUrl, readFileSync(casTokenFile, 'utf8').trim())
  : values['cas-url'] ? await openBlobStore({ dir: join(dir, 'requester-cas'), url: values['cas-url'] }) : blobStore(casDir);
if (values['cas-url']) step(`tensors go through ${cas.where}; each compute node keeps its own directory`);
const requester = Keypair.generate();
await airdrop(chain, requester.publicKey, 1000n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
const MAX_FEE = 2000n * USDC; // each execution's escrow; what is not spent comes back when the execution closes
await faucet(chain, requester, requester.publicKey, MAX_FEE * BigInt(nRequests)); // test USDC from the local faucet
const requesterFunded = MAX_FEE * BigInt(nRequests);
step(`requesting ${nRequests} executions, one every ${(requestEvery / 1000).toFixed(1)} s; the live view follows`);
started = Date.now();
running = true;
const runId = BigInt(Date.now()) * 1000n;
let requesting = false; // one request at a time: a send slower than the interval must not reuse its nonce
async function requestNext(): Promise<void> {
  if (requested.length >= nRequests || stopping || requesting) return;
  requesting = true;
  try { await requestOne(); } finally { requesting = false; }
}
async function requestOne(): Promise<void> {
  const k = requested.length + 1;
  const { execId: id } = await requestExecution(chain, cas, requester, { modelId: MODEL_ID, nonce: runId + BigInt(k), inputs: [exampleInput(k)], maxFee: MAX_FEE, check: false });
  requested.push(id);
}
requestTimer = setInterval(() => { requestNext().catch((e) => console.error(`request failed: ${String(e)}`)); }, requestEvery);
void requestNext();

// ---- the live view
const tty = process.stdout.isTTY && !values.summary;
const colour = (s: string) => (!tty ? s : s === 'online' || s === 'active' ? `\x1b[32m${s}\x1b[0m` : s === 'suspect' ? `\x1b[33m${s}\x1b[0m` : `\x1b[31m${s}\x1b[0m`);
const bar = (done: number, total: number, w = 30) => { const f = total ? Math.round((done / total) * w) : 0; return `[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${done}/${total}`; };
const usdc = (u: bigint) => (Number(u) / Number(USDC)).toFixed(2);
async function snapshot() {
  const [nodes, execs] = await Promise.all([chain.nodes(), Promise.all(requested.map((id) => chain.execution(id)))]);
  lastExecs = execs.filter((e): e is ExecutionAccount => !!e);
  return { nodes, execs: lastExecs };
}

// the crash: watched often (an assignment lasts as long as the computation, well under a second here)
async function maybeCrash() {
  if (!crashCandidate || crashed) return;
  const execs = await chain.runningExecutions();
  for (const e of execs) e.tasks.forEach((ts, i) => {
    if (crashed || ts.phase !== Phase.Assigned || ts.assigned?.toBase58() !== crashCandidate) return;
    const name = `node-${nodeKeys.findIndex((k) => k.nodeId === crashCandidate) + 1}`;
    crashed = { name, node: crashCandidate, exec: e.execId.toString(), task: i, attempt: ts.attempt };
    agents.get(crashCandidate)!.kill('SIGKILL'); // a crash, not a shutdown
  });
}

async function render() {
  const t = (Date.now() - started) / 1000; // the time the frame was asked for
  const { nodes, execs } = await snapshot();
  const views = await Promise.all(urls.map(async (u) => { try { return (await (await fetch(`${u}/api/nodes`)).json() as { nodes: Array<{ nodeId: string; status: string }> }).nodes; } catch { return null; } }));
  const latest = await Promise.all(urls.map(async (u) => { try { const r = await fetch(`${u}/api/liveness/latest`); return r.ok ? await r.json() as { round: string; tableHash: string; certificate: { signatures: unknown[] } | null } : null; } catch { return null; } }));
  const tasks = execs.flatMap((e) => e.tasks);
  const lines = [`SplitUp local committee — ${nOracles} oracles (q = ${quorumFor(nOracles)}), ${nNodes} compute nodes, validator ${rpcUrl} — t=${t.toFixed(0)} s (Ctrl-C to stop)`, ''];
  lines.push('node          role     chain     ' + urls.map((_, i) => `oracle-${i + 1}`.padEnd(10)).join('') + 'done  verified slashes earned USDC slashed USDC');
  for (const k of nodeKeys) {
    const n = nodes.find((x) => x.key.toBase58() === k.nodeId);
    const role = crashed?.node === k.nodeId ? 'crashed' : cheaters.has(k.nodeId) ? 'cheater' : 'honest';
    const st = !n ? 'unregistered' : n.status === NodeStatus.Active ? 'active' : n.status === NodeStatus.Slashed ? 'slashed' : 'exited';
    lines.push(`${k.nodeId.slice(0, 10)}…  ${role.padEnd(8)} ${colour(st)}${' '.repeat(Math.max(1, 10 - st.length))}` + views.map((v) => { const s = v?.find((x) => x.nodeId === k.nodeId)?.status ?? '-'; return colour(s) + ' '.repeat(Math.max(1, 10 - s.length)); }).join('')
      + `${String(n?.completed ?? 0).padStart(4)}  ${String(n?.verified ?? 0).padStart(8)} ${String(n?.slashes ?? 0).padStart(7)} ${usdc(n?.earned ?? 0n).padStart(11)} ${usdc((n?.slashed ?? 0n) + (n?.penalized ?? 0n)).padStart(12)}`);
  }
  lines.push('  (verified: matching re-computations the node took part in, as the node that computed or as the verifier: each match counts for both;');
  lines.push('   earned: fees and rewards credited in the committee vault, paid out when the node exits; slashed: slashes and lapse penalties taken from its stake)');
  lines.push('', 'committed liveness rounds (BFT over libp2p gossipsub):');
  latest.forEach((l, i) => lines.push(`  oracle-${i + 1}  ${l ? `round ${l.round}  table ${l.tableHash.slice(0, 16)}…  certificate ${l.certificate?.signatures.length ?? 0} sigs` : 'none yet'}`));
  const done = execs.filter((e) => e.status === ExecStatus.Done).length;
  lines.push('', `executions ${bar(done, nRequests)}  (${requested.length} requested)`);
  lines.push(`tasks: ${tasks.filter((s) => s.phase >= Phase.Assigned).length} assigned, ${tasks.filter((s) => s.asserter).length} completed, ${tasks.filter((s) => s.sampled === Sampled.Yes).length} sampled for verification, ${tasks.filter((s) => s.result === VerifyResult.Match).length} verified equal, ${tasks.filter((s) => s.result === VerifyResult.Mismatch).length} mismatches (slashed), ${tasks.filter((s) => s.attempt > 0 && s.attempt < 0x8000_0000).length} reassigned after a timeout`);
  if (crashed) lines.push(`crash: ${crashed.name} killed while assigned task ${crashed.task} of execution …${crashed.exec.slice(-4)}; reassigned: ${isReassigned() ? 'yes' : 'waiting for the timeout'}`);
  if (tty) process.stdout.write('\x1b[2J\x1b[H' + lines.join('\n') + '\n');
  else console.log(lines.join('\n') + '\n');
  if (values['exit-when-done'] && requested.length >= nRequests && done >= nRequests) void stop(0);
}
function isReassigned(): boolean {
  if (!crashed) return false;
  const e = lastExecs.find((x) => x.execId.toString() === crashed!.exec);
  const ts = e?.tasks[crashed.task];
  return !!ts && (ts.attempt > crashed.attempt || ts.asserter !== null) && ts.asserter?.toBase58() !== crashed.node;
}
const renderNow = () => { render().catch((e) => { if (!stopping) console.error(String(e)); }); };
renderNow(); // the first screen at t=0
view = setInterval(renderNow, tty ? 1000 : 2000);
let crashBusy = false;
crashWatch = setInterval(() => {
  if (crashBusy || crashed || !crashCandidate) return;
  crashBusy = true;
  maybeCrash().catch(() => {}).finally(() => { crashBusy = false; });
}, 100);

// ---- the end: audit, summary, clean shutdown
// What is audited: every selection the committee made on chain. Each quorum of assignTask votes
// makes the program log a selection record (the request and the node), so the audit reads every
// execution's transactions and checks each record — first assignments, reassignments after a
// timeout or lapse, verifications and dispute arbiters: q matching signed votes on the ledger and
// the node the ECVRF proof selects. It also checks that every quorum on the ledger has its record
// and that each task's current selection is one of them (gaps fail the audit).
interface AuditAll { results: AuditResult[]; quorumsOnLedger: number; tasks: number; tasksCovered: number; gaps: string[] }
async function audit(): Promise<AuditAll> {
  const { nodes, execs } = await snapshot();
  const out: AuditAll = { results: [], quorumsOnLedger: 0, tasks: 0, tasksCovered: 0, gaps: [] };
  for (const e of execs) {
    out.tasks += e.tasks.length;
    try {
      const a = await auditExecution({ chain, committee, oracleUrls: urls, nodes, exec: e, q: quorumFor(nOracles) });
      out.results.push(...a.results); out.quorumsOnLedger += a.quorumsOnLedger; out.tasksCovered += a.tasksCovered; out.gaps.push(...a.gaps);
    } catch (err) { out.gaps.push(`execution ${e.execId}: ${String(err)}`); }
  }
  return out;
}

async function stop(code = 0): Promise<never> {
  if (stopping) return new Promise(() => {});
  stopping = true;
  clearInterval(view);
  clearInterval(requestTimer);
  clearInterval(crashWatch);
  let summary: Record<string, unknown> = {};
  if (running) try {
    const a = await audit();
    const results = a.results;
    const tasks = lastExecs.flatMap((e) => e.tasks);
    // the requester closes every finished execution: its unspent escrow (the refund) comes back in USDC
    let refunded = 0n, closed = 0;
    for (const e of lastExecs) if (e.status === ExecStatus.Done) {
      try { refunded += (await closeExecution(chain, requester, e.execId)).refund; closed++; } catch (err) { console.error(`close of execution ${e.execId} failed: ${String(err)}`); }
    }
    const nodes = await chain.nodes();
    const books = await auditBooks(chain);
    const requesterHeld = await chain.usdcOf(requester.publicKey);
    const sumOf = (f: (n: (typeof nodes)[number]) => bigint) => nodes.reduce((a, n) => a + f(n), 0n);
    summary = {
      // where the nodes ran: loopback, or (--netns) a namespace each, linked to the committee's
      network: inside ? { committee: inside.core, nodes: inside.nodes.slice(0, nNodes).map((n) => ({ namespace: n.ns, address: n.nodeAddr, committeeAddress: n.coreAddr })) } : 'loopback',
      tensors: casHttp ? 'CAS server (a directory per node)' : values['cas-url'] ? `store ${values['cas-url']}` : 'one shared directory',
      requests: requested.length, done: lastExecs.filter((e) => e.status === ExecStatus.Done).length,
      p: pPpm / 1e6, tasksCompleted: tasks.filter((s) => s.asserter).length, sampled: tasks.filter((s) => s.sampled === Sampled.Yes).length,
      settled: tasks.filter((s) => s.sampled !== Sampled.Undecided).length,
      matches: tasks.filter((s) => s.result === VerifyResult.Match).length, mismatches: tasks.filter((s) => s.result === VerifyResult.Mismatch).length,
      cheaters: [...cheaters], slashed: nodes.filter((n) => n.slashes > 0).map((n) => ({ node: n.key.toBase58(), slashes: n.slashes, slashedUsdc: formatUsdc(n.slashed), status: NodeStatus[n.status] })),
      crashed, reassignedAfterCrash: isReassigned(),
      audit: {
        checked: results.length, quorumsOnLedger: a.quorumsOnLedger, tasks: a.tasks, tasksCovered: a.tasksCovered,
        compute: results.filter((r) => r.kind === 'compute').length, reassignment: results.filter((r) => r.kind === 'reassignment').length,
        verification: results.filter((r) => r.kind === 'verification').length, arbiter: results.filter((r) => r.kind === 'arbiter').length,
        excludedForStake: results.filter((r) => r.outcome === 'excluded-for-stake').length,
        quorumOk: results.filter((r) => r.quorum).length, proofOk: results.filter((r) => r.proof).length,
        failures: results.filter((r) => !r.quorum || !r.proof).map((r) => ({ ...r, execId: r.execId.toString() })), gaps: a.gaps },
      payments: nodes.map((n) => ({ node: n.key.toBase58(), earned: n.earned.toString() })),
      // the money, in USDC (the committee's mint, 6 decimals): per node what it earned (fees and
      // rewards), lost (slashes and lapse penalties) and holds as stake; the requester's side; the vault
      usdc: {
        mint: books.mint,
        nodes: nodes.map((n) => ({ node: n.key.toBase58(), earned: formatUsdc(n.earned), slashed: formatUsdc(n.slashed), penalized: formatUsdc(n.penalized), stake: formatUsdc(n.stake) })),
        earned: formatUsdc(sumOf((n) => n.earned)), slashed: formatUsdc(sumOf((n) => n.slashed)), penalized: formatUsdc(sumOf((n) => n.penalized)),
        requester: { funded: formatUsdc(requesterFunded), escrowed: formatUsdc(MAX_FEE * BigInt(requested.length)), refunded: formatUsdc(refunded), executionsClosed: closed, paid: formatUsdc(requesterFunded - requesterHeld), holds: formatUsdc(requesterHeld) },
        treasury: books.treasury, vault: books.vaultBalance, books: books.books, vaultMatchesBooks: books.vaultBalance === books.books,
      },
      // the content hashes the chain holds: each execution's input bundle and every accepted output
      blobs: { inputs: [...new Set(lastExecs.map((e) => e.uri.replace(/^cas:\/\//, '')))], outputs: [...new Set(tasks.filter((s) => s.asserter).map((s) => Buffer.from(s.output).toString('hex')))] },
    };
  } catch (e) { summary = { error: String(e) }; console.error(`summary unavailable: ${String(e)}`); }
  if (running && values.summary) writeFileSync(values.summary, JSON.stringify(summary, null, 2) + '\n');
  const s = summary as { usdc?: { earned: string; slashed: string; penalized: string; treasury: string; vault: string; books: string; vaultMatchesBooks: boolean; nodes: Array<{ node: string; earned: string; slashed: string; penalized: string }>; requester: { refunded: string; paid: string; executionsClosed: number } }; done?: number; requests?: number; sampled?: number; settled?: number; mismatches?: number; audit?: { checked: number; quorumsOnLedger: number; tasks: number; tasksCovered: number; compute: number; reassignment: number; verification: number; arbiter: number; quorumOk: number; proofOk: number; gaps: string[] } };
  const au = s.audit;
  if (running) console.log(`\nsummary: ${s.done ?? '?'}/${s.requests ?? '?'} executions done; ${s.sampled ?? 0} of ${s.settled ?? 0} settled tasks sampled for verification (p = ${pPpm / 1e6}); ${s.mismatches ?? 0} mismatches slashed; audit of every selection on the ledger (${au?.checked ?? 0} of ${au?.quorumsOnLedger ?? 0} quorums, covering ${au?.tasksCovered ?? 0}/${au?.tasks ?? 0} tasks: ${au?.compute ?? 0} compute, ${au?.reassignment ?? 0} reassignments, ${au?.verification ?? 0} verification, ${au?.arbiter ?? 0} arbiter): ${au?.quorumOk ?? 0}/${au?.checked ?? 0} with q matching votes, ${au?.proofOk ?? 0}/${au?.checked ?? 0} re-derived from their ECVRF proofs${au?.gaps.length ? `; ${au.gaps.length} gaps: ${au.gaps.slice(0, 3).join('; ')}` : ''}`);
  const m = s.usdc;
  if (running && m) {
    console.log(`USDC: nodes earned ${m.earned}, were slashed ${m.slashed} and paid ${m.penalized} in lapse penalties; the requester paid ${m.requester.paid} and got ${m.requester.refunded} refunded (${m.requester.executionsClosed} executions closed); treasury ${m.treasury}; vault ${m.vault} ${m.vaultMatchesBooks ? '=' : '!='} books ${m.books}`);
    for (const n of m.nodes) console.log(`  ${n.node.slice(0, 10)}…  earned ${n.earned.padStart(9)}  slashed ${n.slashed.padStart(9)}  penalized ${n.penalized.padStart(7)} USDC`);
  }
  await Promise.all(children.filter((c) => c.name !== 'validator').map(({ proc }) => new Promise((r) => { if (proc.exitCode !== null || proc.signalCode) return r(null); proc.once('exit', r); proc.kill('SIGTERM'); })));
  const v = children.find((c) => c.name === 'validator')?.proc;
  if (v && v.exitCode === null) await new Promise((r) => { v.once('exit', r); v.kill('SIGTERM'); });
  console.log(`stopped: validator, ${nOracles} oracles and ${nNodes} compute nodes${casHttp ? ' and the CAS server' : ''} shut down; state kept in ${dir}`);
  process.exit(code);
}
process.on('exit', () => { for (const { proc } of children) if (proc.exitCode === null && !proc.signalCode) proc.kill('SIGKILL'); });
process.once('SIGINT', () => { void stop(0); });
process.once('SIGTERM', () => { void stop(0); });
if (values['duration-s']) setTimeout(() => { void stop(0); }, Number(values['duration-s']) * 1000);
