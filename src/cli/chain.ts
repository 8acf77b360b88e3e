// splitup-chain: committee operators' chain administration.
//   authority --key KEYFILE
//       the committee authority's key file (created when absent, 0600); prints its public key, which
//       oracles (chain.committeeAuthority) and nodes (--authority) name: the committee's address is
//       derived from it, so nobody else can create (front-run) this committee
//   bootstrap --rpc URL --program-id ID --committee FILE --authority KEYFILE [--p 0.10] [--fund-oracles SOL]
//       create the on-chain committee (oracle signing keys from the committee file, quorum, PoSP
//       economics) and register the example tasks and model; idempotent. --fund-oracles airdrops
//       fee money to each oracle (local validator only).
//   status --rpc URL --program-id ID --authority KEY|KEYFILE    committee, nodes and running executions, as JSON
//   withdraw --rpc URL --program-id ID --authority KEYFILE --to ADDRESS [--lamports N]
//       the authority withdraws the committee's treasury (all of it by default)
//   committee propose --rpc URL --program-id ID --authority KEYFILE --committee NEWFILE [--q Q] [--activate-slot S]
//       the authority proposes the committee file's members (signing keys) as the next epoch's set;
//       prints the epoch and the digest the members approve
//   committee approve --rpc URL --program-id ID --authority KEY|KEYFILE --oracle-keys FILE [--digest HEX]
//       a member of the current set (its oracle key file) approves the pending proposal, whose content
//       must hash to --digest when given; the q-th approval switches the committee
//   committee status --rpc URL --program-id ID --authority KEY|KEYFILE
//       epoch, start slot, current and previous sets, the pending proposal and its approvals, as JSON
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { loadCommittee } from '../consensus/committee.js';
import { asProgramError, ChainClient, RotationError } from '../chain/client.js';
import { airdrop, bootstrapChain } from '../chain/bootstrap.js';
import { DEFAULT_PARAMS, economicsBoundPpm, rotationDigest } from '../chain/program.js';
import { maskMembers, NodeStatus } from '../chain/layout.js';
import { readOracleKeys } from '../oracle/keys.js';
import { fromHex } from '../common/bytes.js';
import { parse, runMain, usageFallback, UsageError } from './args.js';

const USAGE = `usage: splitup-chain authority --key KEYFILE
       splitup-chain bootstrap --rpc URL --program-id ID|--program-id-file F --committee FILE --authority KEYFILE [--p P] [--fund-oracles SOL]
       splitup-chain status --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain withdraw --rpc URL --program-id ID --authority KEYFILE --to ADDRESS [--lamports N]
       splitup-chain committee propose --rpc URL --program-id ID --authority KEYFILE --committee NEWFILE [--q Q] [--activate-slot S]
       splitup-chain committee approve --rpc URL --program-id ID --authority KEY|KEYFILE --oracle-keys FILE [--digest HEX]
       splitup-chain committee status --rpc URL --program-id ID --authority KEY|KEYFILE`;

/** A refusal of a committee command (the program's, or the client's check) as one line, exit 2. */
const refused = (e: unknown): never => {
  const pe = asProgramError(e);
  if (pe) throw new UsageError(`the program refused: ${pe.message}`);
  if (e instanceof RotationError) throw new UsageError(e.message);
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
  const [cmd, ...rest] = argv[0] === 'committee' && argv[1] && !argv[1].startsWith('-') ? [`committee ${argv[1]}`, ...argv.slice(2)] : argv;
  const opts = { rpc: { type: 'string' }, 'program-id': { type: 'string' }, 'program-id-file': { type: 'string' }, committee: { type: 'string' }, authority: { type: 'string' }, key: { type: 'string' },
    p: { type: 'string' }, 'fund-oracles': { type: 'string' }, to: { type: 'string' }, lamports: { type: 'string' },
    q: { type: 'string' }, 'activate-slot': { type: 'string' }, 'oracle-keys': { type: 'string' }, digest: { type: 'string' } } as const;
  if (!['bootstrap', 'status', 'authority', 'withdraw', 'committee propose', 'committee approve', 'committee status'].includes(cmd!)) return usageFallback(cmd, USAGE);
  const { values } = parse(rest, opts);
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
  if (cmd === 'withdraw') {
    if (!values.to) throw new UsageError('withdraw needs --to ADDRESS');
    const c = await chain.committee();
    if (!c) throw new UsageError(`no committee of authority ${authority!.publicKey.toBase58()} on this chain`);
    const amount = values.lamports ? BigInt(values.lamports) : c.treasury;
    await chain.send([authority!], [chain.program.withdrawTreasury(authority!.publicKey, new PublicKey(values.to), amount)]);
    console.log(JSON.stringify({ withdrawn: amount.toString(), to: values.to, treasury: (c.treasury - amount).toString() }));
    return 0;
  }
  if (cmd === 'status') {
    const [committee, nodes, execs] = await Promise.all([chain.committee(), chain.nodes(), chain.runningExecutions()]);
    console.log(JSON.stringify({
      committee: committee && { epoch: committee.epoch, n: committee.n, q: committee.q, p: committee.pPpm / 1e6, oracles: committee.oracles.map((o) => o.toBase58()), treasury: committee.treasury.toString() },
      nodes: nodes.map((n) => ({ node: n.key.toBase58(), status: NodeStatus[n.status], stake: n.stake.toString(), specializations: n.specializations, completed: n.completed, verified: n.verified, slashes: n.slashes, earned: n.earned.toString() })),
      runningExecutions: execs.length,
    }, null, 2));
    return 0;
  }
  if (!values.committee) throw new UsageError('bootstrap needs --committee FILE');
  const committee = loadCommittee(values.committee);
  const pPpm = Math.round(Number(values.p ?? DEFAULT_PARAMS.pPpm / 1e6) * 1e6);
  if (!(pPpm > economicsBoundPpm(DEFAULT_PARAMS))) throw new UsageError(`--p must exceed C/((1-r)(R+S)) = ${(economicsBoundPpm(DEFAULT_PARAMS) / 1e6).toFixed(4)}`);
  const oracles = committee.members.map((m) => new PublicKey(m.signingKey));
  await bootstrapChain(chain, { oracles, params: { ...DEFAULT_PARAMS, pPpm, suite: committee.params.suite === 'ECVRF-EDWARDS25519-SHA512-ELL2' ? 4 : 3 }, authority: authority! });
  if (values['fund-oracles']) for (const o of oracles) await airdrop(chain, o, BigInt(Math.round(Number(values['fund-oracles']) * LAMPORTS_PER_SOL)));
  const c = await chain.committee();
  console.log(JSON.stringify({ committee: chain.program.committeeAddress().toBase58(), authority: authority!.publicKey.toBase58(), n: c?.n, q: c?.q, p: (c?.pPpm ?? 0) / 1e6, oracles: oracles.map((o) => o.toBase58()) }));
  return 0;
}

await runMain(main, { usage: USAGE });
