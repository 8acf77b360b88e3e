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
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { loadCommittee } from '../consensus/committee.js';
import { ChainClient } from '../chain/client.js';
import { airdrop, bootstrapChain } from '../chain/bootstrap.js';
import { DEFAULT_PARAMS, economicsBoundPpm } from '../chain/program.js';
import { NodeStatus } from '../chain/layout.js';
import { parse, runMain, usageFallback, UsageError } from './args.js';

const USAGE = `usage: splitup-chain authority --key KEYFILE
       splitup-chain bootstrap --rpc URL --program-id ID|--program-id-file F --committee FILE --authority KEYFILE [--p P] [--fund-oracles SOL]
       splitup-chain status --rpc URL --program-id ID --authority KEY|KEYFILE
       splitup-chain withdraw --rpc URL --program-id ID --authority KEYFILE --to ADDRESS [--lamports N]`;

/** The authority's key file, created (0600) when absent. */
function authorityKey(file: string): Keypair {
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(Array.from(Keypair.generate().secretKey)), { mode: 0o600 });
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(file, 'utf8'))));
}
/** A public key given as base58 or as a key file. */
const publicKeyOf = (v: string): PublicKey => (existsSync(v) ? authorityKey(v).publicKey : new PublicKey(v));

async function main(): Promise<number | void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const opts = { rpc: { type: 'string' }, 'program-id': { type: 'string' }, 'program-id-file': { type: 'string' }, committee: { type: 'string' }, authority: { type: 'string' }, key: { type: 'string' },
    p: { type: 'string' }, 'fund-oracles': { type: 'string' }, to: { type: 'string' }, lamports: { type: 'string' } } as const;
  if (cmd !== 'bootstrap' && cmd !== 'status' && cmd !== 'authority' && cmd !== 'withdraw') return usageFallback(cmd, USAGE);
  const { values } = parse(rest, opts);
  if (cmd === 'authority') {
    if (!values.key) throw new UsageError('authority needs --key KEYFILE');
    console.log(authorityKey(values.key).publicKey.toBase58());
    return 0;
  }
  const programId = values['program-id'] ?? (values['program-id-file'] ? readFileSync(values['program-id-file'], 'utf8').trim() : undefined);
  if (!values.rpc || !programId) throw new UsageError(`${cmd} needs --rpc URL and --program-id ID (or --program-id-file FILE)`);
  if (!values.authority) throw new UsageError(`${cmd} needs --authority (the committee authority's ${cmd === 'status' ? 'public key or ' : ''}key file)`);
  const authority = cmd === 'status' ? null : authorityKey(values.authority);
  const chain = new ChainClient(values.rpc, new PublicKey(programId), authority?.publicKey ?? publicKeyOf(values.authority));
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
      committee: committee && { n: committee.n, q: committee.q, p: committee.pPpm / 1e6, oracles: committee.oracles.map((o) => o.toBase58()), treasury: committee.treasury.toString() },
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
