// A local validator with the program, a bootstrapped committee of three oracles and three compute
// nodes, and the oracles' chain loops running over one fixed liveness table (every compute node
// online): the chain side of the requester and storage tests, which exercise what happens around
// selection (CAS, requester CLI, collectors), not the liveness rounds.
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { LocalValidator } from '../../src/validator/server.js';
import { ChainClient } from '../../src/chain/client.js';
import { airdrop, bootstrapChain } from '../../src/chain/bootstrap.js';
import { DEFAULT_PARAMS, loadProgramBinary } from '../../src/chain/program.js';
import { ChainLoop } from '../../src/chain/loop.js';
import { MemoryVoteStore } from '../../src/chain/vote-store.js';
import { makeCommittee } from '../../src/consensus/committee.js';
import { generateOracleKeys } from '../../src/oracle/keys.js';
import { publicKeyFromSecret } from '../../src/vrf/index.js';
import { sortEntries, tableHash, ZERO_HASH } from '../../src/liveness/table.js';
import { SystemClock } from '../../src/common/clock.js';
import { programId } from './validator.js';

/**
 * Starts it all under `dir` (100 ms blocks, a 10 s minimum task timeout: a loaded machine must not
 * time tasks out); each part's stop is pushed onto `closers` (run them in reverse order).
 * `base` is the CLI options naming this chain.
 * `nodes`: the compute nodes' VRAM and specialisations (default: three 24 GB nodes in every example task).
 */
export async function startFixedCommittee(dir: string, closers: Array<() => Promise<unknown>>, o: { nodes?: Array<{ vramGb?: number; specializations?: number[] }> } = {}) {
  const v = await LocalValidator.start({ dataDir: join(dir, 'ledger'), programs: [{ id: programId, so: loadProgramBinary() }], slotMs: 100 });
  closers.push(() => v.close());
  const authority = Keypair.generate();
  const chain = new ChainClient(v.url, programId, authority.publicKey);
  const oracleKeys = [0, 1, 2].map(() => generateOracleKeys());
  const signers = oracleKeys.map((k) => Keypair.fromSeed(k.signingSeed));
  const specs = o.nodes ?? [{}, {}, {}];
  const nodes = specs.map(() => Keypair.generate());
  await bootstrapChain(chain, { authority, oracles: signers.map((s) => s.publicKey), nodes: nodes.map((keypair, i) => ({ keypair, ...specs[i] })), params: { ...DEFAULT_PARAMS, minTimeoutSlots: 100n } });
  for (const s of signers) await airdrop(chain, s.publicKey, 10_000_000_000n);

  const committee = makeCommittee(oracleKeys.map((k, i) => ({ name: `oracle-${i}`, signingKey: k.signingPublicKey, vrfKey: publicKeyFromSecret(k.vrfSecretKey), multiaddrs: [] })),
    { epochMs: 1000, genesisMs: Date.now() - 60_000 });
  const entries = sortEntries(nodes.map((n) => ({ nodeId: n.publicKey.toBytes(), status: 'online' as const, missed: 0, since: 0 })));
  const loops: ChainLoop[] = [];
  oracleKeys.forEach((k, i) => {
    loops.push(new ChainLoop({
      chain, committee, me: i, signer: signers[i]!, vrfSecret: k.vrfSecretKey, votes: new MemoryVoteStore(), clock: SystemClock, pollMs: 200, proofTimeoutMs: 1500,
      table: async (round) => ({ round, hash: tableHash({ roundId: round, asOf: committee.params.genesisMs + Number(round + 1n) * 1000, prevHash: ZERO_HASH, entries }), entries }),
      publishProof: async (d) => { for (const [j, l] of loops.entries()) if (j !== i) l.receiveProof(d); },
    }));
  });
  const base = ['--rpc', v.url, '--program-id', programId.toBase58(), '--authority', authority.publicKey.toBase58()];
  return {
    v, chain, authority, nodes, base,
    /** Starts the oracles' chain loops (their stop goes onto `closers`). */
    startLoops: () => { loops.forEach((l) => l.start()); closers.push(() => Promise.all(loops.map((l) => l.stop()))); },
  };
}
