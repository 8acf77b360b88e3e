// splitup-chain: committee operators' chain administration.
//   authority --key KEYFILE
//       the committee authority's key file (created when absent, 0600); prints its public key, which
//       oracles (chain.committeeAuthority) and nodes (--authority) name: the committee's address is
//       derived from it, so nobody else can create (front-run) this committee
//   bootstrap --rpc URL --program-id ID --committee FILE --authority KEYFILE [--p 0.10] [--fund-oracles SOL] [--mint ADDRESS]
//       create the on-chain committee (oracle signing keys from the committee file, quorum, PoSP
//       economics, its USDC mint and vault) and register the example tasks and model; idempotent.
//       --mint: the cluster's USDC mint (Token program or Token-2022); without it a new local test USDC
//       mint (local validator only). --fund-oracles airdrops fee money to each oracle (local validator only).
//   status --rpc URL --program-id ID --authority KEY|KEYFILE
//       committee (mint, vault, treasury), nodes (stake, earned, slashed in USDC), running executions and the
//       books check (vault balance = treasury + stake + earned + escrow), as JSON
//   withdraw --rpc URL --program-id ID --authority KEYFILE --to OWNER [--amount USDC]
//       the authority withdraws the committee's treasury (all of it by default) from the vault to OWNER's
//       associated token account (created when absent)
//   faucet --rpc URL --program-id ID --authority KEY|KEYFILE --to OWNER --amount USDC
//       mints test USDC to OWNER's associated token account: local validator and local test USDC only
//       (refused against any other cluster)
//   committee propose --rpc URL --program-id ID --authority KEYFILE --committee NEWFILE [--q Q] [--activate-slot S]
//       the authority proposes the committee file's members (signing keys) as the next epoch's set;
//       prints the epoch and the digest the members approve
//   committee approve --rpc URL --program-id ID --authority KEY|KEYFILE --oracle-keys FILE [--digest HEX]
//       a member of the current set (its oracle key file) approves the pending proposal, whose content
//       must hash to --digest when given; the q-th approval switches the committee
//   committee status --rpc URL --program-id ID --authority KEY|KEYFILE
//       epoch, start slot, current and previous sets, the pending proposal and its approvals, as JSON
//   model register --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE --manifest FILE [--no-check] [--airdrop SOL]
//       a model developer (--key: its key file, created when absent) registers a manifest's tasks and
//       model; the manifest is checked against the program's rules first (the failing rule named,
//       exit 2); --no-check sends it unchecked, so the program's own refusal is what comes back
//   model show ID | model list   --rpc URL --program-id ID --authority KEY|KEYFILE      as JSON
//   request --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE --model ID --input FILE --max-fee USDC
//           --cas DIR [--cas-url URL [--cas-token-file F]] [--wait [--timeout-s S]] [--out FILE] [--nonce N] [--airdrop SOL]
//       a requester uploads the input (a tensor bundle, or JSON {"tensors": [{"shape", "data"}]}) to the
//       CAS, requests the execution (--max-fee USDC escrowed from its associated token account into the
//       committee's vault), and with --wait follows it (progress on stderr) and fetches the final outputs,
//       each checked against the output hash the program accepted (JSON on stdout), then releases them to
//       the store's collector (a signed release; --keep-outputs: not). --cas-url is a CAS server
//       (http://HOST:PORT) or an S3-compatible bucket (s3://BUCKET[/PREFIX]?endpoint=URL). --airdrop
//       (local validator): SOL for fees and rent, and --max-fee of test USDC from the faucet
//   close EXEC_ID --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE
//       the requester closes its finished execution: the unspent escrow back to its token account (the
//       refund), the account's rent back to it; read the result first (the account is gone after)
//   result EXEC_ID --rpc URL --program-id ID --authority KEY|KEYFILE [--cas DIR [--cas-url URL] [--key KEYFILE]] [--out FILE]
//       an execution's state; once done, its final outputs fetched and checked (and released with --key)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { loadCommittee } from '../consensus/committee.js';
import { asProgramError, ChainClient, RotationError } from '../chain/client.js';
import { airdrop, bootstrapChain, ensureTokenAccount, faucet, FaucetError, isLocalValidator } from '../chain/bootstrap.js';
import { auditBooks } from '../chain/audit.js';
import { DEFAULT_PARAMS, economicsBoundPpm, formatUsdc, parseUsdc, rotationDigest } from '../chain/program.js';
import { ExecStatus, maskMembers, NodeStatus } from '../chain/layout.js';
import { randomBytes } from 'node:crypto';
import { readOracleKeys } from '../oracle/keys.js';
import { fromHex } from '../common/bytes.js';
import { parse, runMain, usageFallback, UsageError } from './args.js';

const USAGE = `usage: splitup-chain authority --key KEYFILE
       splitup-chain bootstrap --rpc URL --program-id ID|--program-id-file F --committee FILE --authority KEYFILE [--p P] [--fund-oracles SOL] [--mint ADDRESS]
       splitup-chain status --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain withdraw --rpc URL --program-id ID --authority KEYFILE --to OWNER [--amount USDC]
       splitup-chain faucet --rpc URL --program-id ID --authority KEY|KEYFILE --to OWNER --amount USDC
       splitup-chain committee propose --rpc URL --program-id ID --authority KEYFILE --committee NEWFILE [--q Q] [--activate-slot S]
       splitup-chain committee approve --rpc URL --program-id ID --authority KEY|KEYFILE --oracle-keys FILE [--digest HEX]
       splitup-chain committee status --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain model register --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE --manifest FILE [--no-check] [--airdrop SOL]
       splitup-chain model show ID --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain model list --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain request --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE --model ID --input FILE --max-fee USDC
                             --cas DIR [--cas-url http(s)://…|s3://… [--cas-token-file F]] [--wait [--timeout-s S]] [--out FILE] [--keep-outputs] [--nonce N] [--airdrop SOL] [--no-check]
       splitup-chain close EXEC_ID --rpc URL --program-id ID --authority KEY|KEYFILE --key KEYFILE
       splitup-chain result EXEC_ID --rpc URL --program-id ID --authority KEY|KEYFILE [--cas DIR [--cas-url URL [--cas-token-file F]] [--key KEYFILE [--keep-outputs]]] [--out FILE]`;

/** A refusal of a committee command (the program's, or the client's check) as one line, exit 2. */
const refused = (e: unknown): never => {
  const pe = asProgramError(e);
  if (pe) throw new UsageError(`the program refused: ${pe.message}`);
  if (e instanceof RotationError || e instanceof FaucetError) throw new UsageError(e.message);
  throw e;
};

/** The authority's key file, created (0600) when absent. */
function authorityKey(file: string): Keypair {
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(Array.from(Keypair.generate().secretKey)), { mode: 0o600 });
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(file, 'utf8'))));
}
/** A public key given as base58 or as a key file. */
const publicKeyOf = (v: string): PublicKey => (existsSync(v) ? authorityKey(v).publicKey : new PublicKey(v));

async function main(): Promise<number | void> {
  const argv = process.argv.slice(2);
  // `committee <sub>` is one command of its own
  const [cmd, ...rest] = (argv[0] === 'committee' || argv[0] === 'model') && argv[1] && !argv[1].startsWith('-') ? [`${argv[0]} ${argv[1]}`, ...argv.slice(2)] : argv;
  const opts = { rpc: { type: 'string' }, 'program-id': { type: 'string' }, 'program-id-file': { type: 'string' }, committee: { type: 'string' }, authority: { type: 'string' }, key: { type: 'string' },
    p: { type: 'string' }, 'fund-oracles': { type: 'string' }, to: { type: 'string' }, amount: { type: 'string' }, mint: { type: 'string' },
    q: { type: 'string' }, 'activate-slot': { type: 'string' }, 'oracle-keys': { type: 'string' }, digest: { type: 'string' },
    manifest: { type: 'string' }, 'no-check': { type: 'boolean' }, airdrop: { type: 'string' }, model: { type: 'string' }, input: { type: 'string' }, 'max-fee': { type: 'string' },
    cas: { type: 'string' }, 'cas-url': { type: 'string' }, 'cas-token-file': { type: 'string' }, 'keep-outputs': { type: 'boolean' }, wait: { type: 'boolean' }, 'timeout-s': { type: 'string' }, out: { type: 'string' }, nonce: { type: 'string' } } as const;
  if (!['bootstrap', 'status', 'authority', 'withdraw', 'faucet', 'committee propose', 'committee approve', 'committee status', ...USER_COMMANDS].includes(cmd!)) return usageFallback(cmd, USAGE);
  const { values, positionals } = parse(rest, opts);
  if (cmd === 'authority') {
    if (!values.key) throw new UsageError('authority needs --key KEYFILE');
    console.log(authorityKey(values.key).publicKey.toBase58());
    return 0;
  }
  const programId = values['program-id'] ?? (values['program-id-file'] ? readFileSync(values['program-id-file'], 'utf8').trim() : undefined);
  if (!values.rpc || !programId) throw new UsageError(`${cmd} needs --rpc URL and --program-id ID (or --program-id-file FILE)`);
  if (!values.authority) throw new UsageError(`${cmd} needs --authority (the committee authority's ${cmd === 'status' ? 'public key or ' : ''}key file)`);
  // only the commands the authority signs need its key file; the others take its public key
  const signs = cmd === 'bootstrap' || cmd === 'withdraw' || cmd === 'committee propose';
  const authority = signs ? authorityKey(values.authority) : null;
  const chain = new ChainClient(values.rpc, new PublicKey(programId), authority?.publicKey ?? publicKeyOf(values.authority));
  if (USER_COMMANDS.includes(cmd!)) return userCommand(cmd!, chain, values, positionals);
  if (cmd === 'committee propose') {
    if (!values.committee) throw new UsageError('committee propose needs --committee NEWFILE (the next epoch\'s committee file)');
    const next = loadCommittee(values.committee);
    const q = values.q ? Number(values.q) : next.q;
    if (!Number.isInteger(q) || q < 1) throw new UsageError('--q must be a positive integer');
    const activateSlot = values['activate-slot'] ? BigInt(values['activate-slot']) : 0n;
    const { proposal, digest } = await chain.proposeRotation(authority!, next.members.map((m) => new PublicKey(m.signingKey)), q, activateSlot).catch(refused);
    console.log(JSON.stringify({ epoch: proposal.epoch, n: proposal.oracles.length, q, activateSlot: activateSlot.toString(), oracles: proposal.oracles.map((o) => o.toBase58()), digest: Buffer.from(digest).toString('hex') }));
    return 0;
  }
  if (cmd === 'committee approve') {
    if (!values['oracle-keys']) throw new UsageError('committee approve needs --oracle-keys FILE (a current member\'s oracle key file)');
    const oracle = Keypair.fromSeed(readOracleKeys(values['oracle-keys']).signingSeed);
    let expect: Uint8Array | undefined;
    if (values.digest) {
      try { expect = fromHex(values.digest); } catch { throw new UsageError('--digest must be 32 bytes of hex'); }
      if (expect.length !== 32) throw new UsageError('--digest must be 32 bytes of hex');
    }
    const r = await chain.approveRotation(oracle, expect).catch(refused);
    const c = await chain.committee();
    const pending = r.applied ? null : await chain.rotation(r.epoch);
    console.log(JSON.stringify({ epoch: r.epoch, oracle: oracle.publicKey.toBase58(), applied: r.applied, approvals: pending ? maskMembers(pending.approvals, c!.n).length : c!.q, needed: c!.q,
      ...(r.applied ? { startSlot: c!.epochStartSlot.toString() } : {}) }));
    return 0;
  }
  if (cmd === 'committee status') {
    const c = await chain.committee();
    if (!c) throw new UsageError(`no committee of authority ${values.authority} on this chain`);
    const pending = await chain.rotation(c.epoch + 1);
    const slot = await chain.slot();
    console.log(JSON.stringify({
      committee: chain.program.committeeAddress().toBase58(), slot: slot.toString(), epoch: c.epoch, startSlot: c.epochStartSlot.toString(), started: slot >= c.epochStartSlot,
      n: c.n, q: c.q, oracles: c.oracles.map((o) => o.toBase58()),
      previous: c.previous && { epoch: c.previous.epoch, n: c.previous.n, q: c.previous.q, startSlot: c.previous.startSlot.toString(), oracles: c.previous.oracles.map((o) => o.toBase58()) },
      pending: pending && {
        epoch: pending.epoch, n: pending.n, q: pending.q, activateSlot: pending.activateSlot.toString(), oracles: pending.oracles.map((o) => o.toBase58()),
        digest: Buffer.from(rotationDigest(chain.program.committeeAddress(), { epoch: pending.epoch, oracles: pending.oracles, q: pending.q, activateSlot: pending.activateSlot })).toString('hex'),
        approvedBy: maskMembers(pending.approvals, c.n).map((i) => c.oracles[i]!.toBase58()), needed: c.q,
      },
    }, null, 2));
    return 0;
  }
  const usdcOption = (v: string | undefined, what: string): bigint => { try { return parseUsdc(v ?? ''); } catch (e) { throw new UsageError(`${what}: ${(e as Error).message}`); } };
  const ownerOption = (v: string | undefined, what: string): PublicKey => { try { return new PublicKey(v ?? ''); } catch { throw new UsageError(`${what} must be a base58 address`); } };
  if (cmd === 'withdraw') {
    const to = ownerOption(values.to, 'withdraw --to OWNER');
    const c = await chain.committee();
    if (!c) throw new UsageError(`no committee of authority ${authority!.publicKey.toBase58()} on this chain`);
    const amount = values.amount ? usdcOption(values.amount, '--amount') : c.treasury;
    const account = await ensureTokenAccount(chain, authority!, to);
    await chain.send([authority!], [chain.program.withdrawTreasury(authority!.publicKey, account, amount)]).catch(refused);
    console.log(JSON.stringify({ withdrawn: formatUsdc(amount), to: to.toBase58(), tokenAccount: account.toBase58(), treasury: formatUsdc(c.treasury - amount), unit: 'USDC' }));
    return 0;
  }
  if (cmd === 'faucet') {
    const to = ownerOption(values.to, 'faucet --to OWNER');
    const amount = usdcOption(values.amount, 'faucet --amount');
    if (!(await isLocalValidator(chain))) throw new UsageError(`the faucet mints test USDC on the local validator only; ${values.rpc} is another cluster`);
    if (!(await chain.committee())) throw new UsageError(`no committee of authority ${chain.program.authority.toBase58()} on this chain`);
    // a throwaway payer for the token account's rent and the fee (airdropped: local validator only)
    const payer = Keypair.generate();
    await airdrop(chain, payer.publicKey, BigInt(LAMPORTS_PER_SOL));
    const account = await faucet(chain, payer, to, amount).catch(refused);
    console.log(JSON.stringify({ minted: formatUsdc(amount), to: to.toBase58(), tokenAccount: account.toBase58(), balance: formatUsdc(await chain.tokenBalance(account)), unit: 'USDC' }));
    return 0;
  }
  if (cmd === 'status') {
    const [committee, nodes, execs] = await Promise.all([chain.committee(), chain.nodes(), chain.runningExecutions()]);
    const books = committee ? await auditBooks(chain) : null;
    console.log(JSON.stringify({
      committee: committee && { epoch: committee.epoch, n: committee.n, q: committee.q, p: committee.pPpm / 1e6, oracles: committee.oracles.map((o) => o.toBase58()), treasury: formatUsdc(committee.treasury),
        mint: committee.mint.toBase58(), tokenProgram: committee.tokenProgram.toBase58(), decimals: committee.decimals, vault: committee.vault.toBase58() },
      nodes: nodes.map((n) => ({ node: n.key.toBase58(), status: NodeStatus[n.status], stake: formatUsdc(n.stake), specializations: n.specializations, completed: n.completed, verified: n.verified, slashes: n.slashes,
        earned: formatUsdc(n.earned), slashed: formatUsdc(n.slashed), penalized: formatUsdc(n.penalized) })),
      runningExecutions: execs.length,
      books, unit: 'USDC',
    }, null, 2));
    return 0;
  }
  if (!values.committee) throw new UsageError('bootstrap needs --committee FILE');
  const committee = loadCommittee(values.committee);
  const pPpm = Math.round(Number(values.p ?? DEFAULT_PARAMS.pPpm / 1e6) * 1e6);
  if (!(pPpm > economicsBoundPpm(DEFAULT_PARAMS))) throw new UsageError(`--p must exceed C/((1-r)(R+S)) = ${(economicsBoundPpm(DEFAULT_PARAMS) / 1e6).toFixed(4)}`);
  const oracles = committee.members.map((m) => new PublicKey(m.signingKey));
  const mint = values.mint ? ownerOption(values.mint, '--mint') : undefined;
  await bootstrapChain(chain, { oracles, params: { ...DEFAULT_PARAMS, pPpm, suite: committee.params.suite === 'ECVRF-EDWARDS25519-SHA512-ELL2' ? 4 : 3 }, authority: authority!, ...(mint ? { mint } : {}) }).catch(refused);
  if (values['fund-oracles']) for (const o of oracles) await airdrop(chain, o, BigInt(Math.round(Number(values['fund-oracles']) * LAMPORTS_PER_SOL)));
  const c = await chain.committee();
  console.log(JSON.stringify({ committee: chain.program.committeeAddress().toBase58(), authority: authority!.publicKey.toBase58(), n: c?.n, q: c?.q, p: (c?.pPpm ?? 0) / 1e6, oracles: oracles.map((o) => o.toBase58()),
    mint: c?.mint.toBase58(), tokenProgram: c?.tokenProgram.toBase58(), vault: c?.vault.toBase58() }));
  return 0;
}

// ---- model developers and requesters

const USER_COMMANDS = ['model register', 'model show', 'model list', 'request', 'result', 'close'];

/** A non-negative integer option (exit 2 otherwise). */
function integer(v: string | undefined, what: string): bigint {
  if (v === undefined || !/^[0-9]+$/.test(v)) throw new UsageError(`${what} must be a non-negative integer`);
  return BigInt(v);
}

async function userCommand(cmd: string, chain: ChainClient, values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const str = (k: string) => values[k] as string | undefined;
  const print = (o: unknown) => console.log(JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  const keyOf = async (usdc = 0n): Promise<Keypair> => {
    if (!str('key')) throw new UsageError(`${cmd} needs --key KEYFILE (your key; created when absent)`);
    const k = authorityKey(str('key')!);
    if (str('airdrop')) {
      await airdrop(chain, k.publicKey, BigInt(Math.round(Number(str('airdrop')) * LAMPORTS_PER_SOL)));
      if (usdc > 0n) await faucet(chain, k, k.publicKey, usdc).catch(refused);
    }
    return k;
  };
  const casOf = async (need: boolean) => {
    if (!str('cas')) { if (need) throw new UsageError(`${cmd} needs --cas DIR (with --cas-url http(s)://…|s3://… when tensors are shared through a CAS server or a bucket)`); return null; }
    const { openBlobStore } = await import('../cas/blobs.js');
    return openBlobStore({ dir: str('cas')!, ...(str('cas-url') ? { url: str('cas-url')! } : {}), ...(str('cas-token-file') ? { token: readFileSync(str('cas-token-file')!, 'utf8').trim() } : {}) })
      .catch((e: Error) => { throw e.name === 'CasError' ? new UsageError(e.message) : e; });
  };
  // once the outputs are fetched and verified, the requester releases them: the store's collector
  // may then delete them (--keep-outputs: leave them to their time to live)
  const release = async (cas: import('../cas/blobs.js').BlobStore, execId: bigint, requester: Keypair | null): Promise<string> => {
    if (values['keep-outputs']) return 'kept (--keep-outputs)';
    if (!requester) return 'not released (give --key to release them)';
    const { signRelease } = await import('../cas/release.js');
    return cas.release(signRelease(chain.program.committeeAddress(), execId, requester)).then(() => 'released', (e: Error) => {
      console.error(`warning: the outputs were not released (${e.message}); the store keeps them until their time to live`);
      return `not released: ${e.message}`;
    });
  };
  if (!(await chain.committee())) throw new UsageError(`no committee of authority ${chain.program.authority.toBase58()} on this chain`);

  if (cmd === 'model register') {
    if (!str('manifest')) throw new UsageError('model register needs --manifest FILE');
    const [{ parseManifest, planManifest, ManifestError }, { registeredTasks, registerPlan }] = await Promise.all([import('../model/manifest.js'), import('../chain/models.js')]);
    let doc: unknown;
    try { doc = JSON.parse(readFileSync(str('manifest')!, 'utf8')); } catch (e) { throw new ManifestError('ManifestSchema', `${str('manifest')}: ${(e as Error).message}`); }
    const m = parseManifest(doc);
    const known = await registeredTasks(chain, m.tasks.flatMap((x) => (x.taskId ? [x.taskId] : [])));
    const plan = planManifest(m, (id) => known.get(id), { check: !values['no-check'] });
    const author = await keyOf();
    const r = await registerPlan(chain, author, plan).catch(refused);
    print({ model: m.name, modelId: r.modelId, author: author.publicKey.toBase58(), checked: !values['no-check'],
      tasks: plan.nodes.map((n) => ({ name: n.name, taskId: 'registered' in n.task ? n.task.registered : r.taskIds[n.task.new], new: 'new' in n.task, ...('new' in n.task && plan.newTasks[n.task.new]!.weights.length ? { weights: plan.newTasks[n.task.new]!.weights } : {}) })),
      transactions: r.signatures });
    return 0;
  }
  if (cmd === 'model show' || cmd === 'model list') {
    const { describeModel } = await import('../chain/models.js');
    const models = cmd === 'model list' ? await chain.models() : [await chain.model(Number(integer(positionals[0], 'model show ID')))];
    if (!models[0] && cmd === 'model show') throw new UsageError(`UnknownModel: model ${positionals[0]} is not registered with this committee`);
    const tasks = new Map<number, NonNullable<Awaited<ReturnType<ChainClient['task']>>>>();
    for (const id of new Set(models.flatMap((m) => m!.nodes.map((n) => n.taskId)))) { const t = await chain.task(id); if (t) tasks.set(id, t); }
    const c = (await chain.committee())!;
    const { minimumFee } = await import('../requester/requester.js');
    const shown = models.map((m) => ({ ...describeModel(m!, tasks), minimumFee: minimumFee(c, m!).toString() }));
    print(cmd === 'model list' ? { models: shown.map((m) => ({ modelId: m.modelId, author: m.author, tasks: m.tasks.map((x) => x.taskId), inputs: m.inputs, outputs: m.outputs.length, computeUnits: m.computeUnits, minimumFee: m.minimumFee })) } : shown[0]);
    return 0;
  }
  const [{ requestExecution, waitForExecution, finalOutputs, progressOf, progressLine }, { decodeBundle, encodeBundle }] = await Promise.all([import('../requester/requester.js'), import('../model/tensor.js')]);
  const writeOut = (outs: Array<{ shape: number[]; data: number[] }>) => { if (str('out')) writeFileSync(str('out')!, encodeBundle(outs.map((o) => ({ shape: o.shape, data: Float32Array.from(o.data) })))); };
  if (cmd === 'request') {
    if (!str('model') || !str('input') || !str('max-fee')) throw new UsageError('request needs --model ID, --input FILE and --max-fee USDC');
    const modelId = Number(integer(str('model'), '--model'));
    let maxFee: bigint;
    try { maxFee = parseUsdc(str('max-fee')!); } catch (e) { throw new UsageError(`--max-fee: ${(e as Error).message}`); }
    const nonce = str('nonce') !== undefined ? integer(str('nonce'), '--nonce') : randomBytes(8).readBigUInt64LE(0);
    const raw = readFileSync(str('input')!);
    let inputs;
    try {
      inputs = raw.subarray(0, 64).toString('utf8').trimStart().startsWith('{')
        ? (JSON.parse(raw.toString('utf8')) as { tensors: Array<{ shape: number[]; data: number[] }> }).tensors.map((x) => ({ shape: x.shape, data: Float32Array.from(x.data) }))
        : decodeBundle(new Uint8Array(raw));
    } catch (e) { throw new UsageError(`--input ${str('input')}: neither a tensor bundle (splitup/tensor/v1) nor JSON {"tensors": [{"shape": [...], "data": [...]}]} (${(e as Error).message})`); }
    const cas = (await casOf(true))!;
    const requester = await keyOf(maxFee);
    const r = await requestExecution(chain, cas, requester, { modelId, nonce, inputs, maxFee, check: !values['no-check'] }).catch(refused);
    console.error(`requested execution ${r.execId} of model ${modelId} (input ${r.uri}, max fee ${formatUsdc(maxFee)} USDC escrowed in the committee's vault)`);
    if (!values.wait) { print({ execId: r.execId.toString(), modelId, requester: requester.publicKey.toBase58(), nonce: nonce.toString(), input: r.uri, signature: r.signature }); return 0; }
    const e = await waitForExecution(chain, r.execId, { timeoutMs: Number(str('timeout-s') ?? 600) * 1000, onChange: (x) => console.error(progressLine(x)) });
    const outputs = await finalOutputs(chain, cas, e);
    writeOut(outputs);
    const released = e.failed ? undefined : await release(cas, e.execId, requester);
    print({ ...progressOf(e), requester: requester.publicKey.toBase58(), nonce: nonce.toString(), outputs: outputs.map((o) => ({ ...o, verified: true })), ...(released ? { released } : {}) });
    return 0;
  }
  if (cmd === 'close') {
    const { closeExecution } = await import('../requester/requester.js');
    const execId = integer(positionals[0], 'close EXEC_ID');
    const requester = await keyOf();
    const before = await chain.usdcOf(requester.publicKey);
    const r = await closeExecution(chain, requester, execId).catch(refused);
    print({ execId: execId.toString(), requester: requester.publicKey.toBase58(), refunded: formatUsdc(r.refund), balance: formatUsdc(before + r.refund), unit: 'USDC', signature: r.signature });
    return 0;
  }
  // result
  const execId = integer(positionals[0], 'result EXEC_ID');
  const e = await chain.execution(execId);
  if (!e) throw new UsageError(`UnknownExecution: no execution ${execId} on this chain`);
  const cas = await casOf(false);
  const done = e.status === ExecStatus.Done && !e.failed;
  const outputs = done && cas ? await finalOutputs(chain, cas, e) : null;
  if (outputs) writeOut(outputs);
  if (str('key') && !existsSync(str('key')!)) throw new UsageError(`--key ${str('key')}: no such key file (result releases with the requester's existing key)`);
  const released = outputs && cas ? await release(cas, e.execId, str('key') ? authorityKey(str('key')!) : null) : undefined;
  print({ ...progressOf(e), ...(outputs ? { outputs: outputs.map((o) => ({ ...o, verified: true })), released } : done ? { outputs: 'give --cas DIR [--cas-url URL] to fetch them' } : {}) });
  return 0;
}

await runMain(main, { usage: USAGE });
