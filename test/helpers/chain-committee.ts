// A committee over real libp2p (TestCommittee) plus the local validator and one chain
// loop per oracle, with selection proofs on their own gossip topic.
import { Keypair, PublicKey } from '@solana/web3.js';
import { SystemClock } from '../../src/common/clock.js';
import { ChainClient } from '../../src/chain/client.js';
import { ChainLoop, checkProofMessage, selectionProofTopic, type LoopEvent, type VoteStore } from '../../src/chain/loop.js';
import { LevelVoteStore } from '../../src/chain/vote-store.js';
import { LocalValidator } from '../../src/validator/server.js';
import { airdrop, bootstrapChain } from '../../src/chain/bootstrap.js';
import { loadProgramBinary, type CommitteeParams } from '../../src/chain/program.js';
import { TestCommittee } from './committee.js';
import { selectionRoutes } from '../../src/oracle/oracle.js';
import { tempDir } from './oracle.js';
import { until } from './heartbeat.js';

export const PROGRAM_ID = new PublicKey('SpLitUp111111111111111111111111111111111111');
export const vrfSecretOf = (tc: TestCommittee, i: number): Uint8Array => tc.vrfSecrets[i]!;

export class ChainCommittee {
  readonly tc: TestCommittee;
  validator!: LocalValidator;
  chain!: ChainClient;
  readonly loops: Array<ChainLoop | null>;
  readonly events: Array<LoopEvent & { oracle: number }> = [];
  readonly proofsSeen: Uint8Array[] = [];
  readonly nodeKeys: Keypair[];
  /** the committee's authority (its on-chain address is derived from it) */
  readonly authority = Keypair.generate();
  private cleanup: () => void = () => {};
  readonly proofTopic: string;
  private slotTimer: NodeJS.Timeout | null = null;
  private slotInFlight: Promise<unknown> = Promise.resolve();

  /**
   * `opts.follows`: this is the committee of the next epoch of `follows` (a rotation): members `keep`
   * (indices of the current committee, in order) then `newcomers` fresh oracles; it shares the
   * current committee's validator, chain, parameters and heartbeat feed, and starts no chain of its own.
   */
  constructor(n: number, computeNodes = 5, private readonly opts: { loopPollMs?: number; loopSubscribe?: boolean; params?: CommitteeParams; epochMs?: number; follows?: { cc: ChainCommittee; epoch: number; keep: number[] } } = {}) {
    const f = opts.follows;
    this.tc = new TestCommittee(n, opts.epochMs ?? 400, computeNodes, f && {
      epoch: f.epoch, after: f.cc.tc,
      members: Array.from({ length: n }, (_, i) => (i < f.keep.length ? { signingSeed: f.cc.tc.oracles[f.keep[i]!]!.signingSeed, vrfSecret: f.cc.tc.vrfSecrets[f.keep[i]!]! } : null)),
    });
    this.loops = Array.from({ length: n }, () => null);
    this.nodeKeys = this.tc.feed.nodes.map((x) => Keypair.fromSeed(x.seed));
    this.proofTopic = selectionProofTopic(this.tc.committee.id);
    this.tc.extraRoutes = (i) => selectionRoutes(() => this.loops[i] ?? null);
    this.tc.extraTopics = (i) => [{
      topic: this.proofTopic,
      validate: checkProofMessage,
      onMessage: (d) => { this.proofsSeen.push(d); this.loops[i]?.receiveProof(d); },
    }];
  }

  /**
   * Waits until every oracle has committed a round at most `slack` epochs behind the wall clock.
   * The committee's rounds count from its creation, before the chain was set up; a selection is
   * bound to the round just before its seed block, so requests made while consensus is still
   * catching up wait for that round and their selection windows lapse.
   */
  /**
   * Every oracle within `slack` rounds of the wall-clock round, and its newest table with compute
   * nodes online: a fresh committee's first round puts the nodes on the roster (offline), the next
   * one attests them, so a request made before that finds no eligible node and waits out its
   * timeouts (doubling per attempt).
   */
  async caughtUp(slack = 3, timeoutMs = 120_000): Promise<void> {
    const { genesisMs, epochMs } = this.tc.committee.params;
    await until('every oracle caught up with the wall-clock round, compute nodes online', () => {
      const now = BigInt(Math.floor((Date.now() - genesisMs) / epochMs));
      return this.tc.oracles.every((o, i) => !o.service || (this.tc.head(i) >= now - BigInt(slack) && o.service.latest.committed.entries.some((e) => e.status === 'online')));
    }, timeoutMs, 100);
  }

  /** Resumes block production (one slot per 100 ms of wall time). */
  releaseSlots(): void {
    if (this.slotTimer) return;
    this.slotTimer = setInterval(() => {
      this.slotInFlight = this.validator.produceSlot().catch(() => undefined);
    }, 100);
  }

  /**
   * Stops block production: the slot, and every deadline measured in slots, stands still until
   * releaseSlots(). Transactions still land (in the current block). Resolves once no slot is
   * being produced. Returns the slot as ChainClient.slot() reads it.
   */
  async holdSlots(): Promise<bigint> {
    if (this.slotTimer) clearInterval(this.slotTimer);
    this.slotTimer = null;
    await this.slotInFlight;
    // the slot as the oracles' chain client reads it (confirmed: one below the open slot)
    return this.chain ? this.chain.slot() : this.validator.ledger.slot;
  }

  oracleKeypair(i: number): Keypair { return Keypair.fromSeed(this.tc.oracles[i]!.signingSeed); }

  async start(): Promise<void> {
    const f = this.opts.follows;
    if (f) {
      this.validator = f.cc.validator;
      this.chain = f.cc.chain;
      for (let i = f.keep.length; i < this.tc.oracles.length; i++) await airdrop(this.chain, this.oracleKeypair(i).publicKey, 10_000_000_000n);
      await this.tc.startAll();
      return;
    }
    const { dir, cleanup } = tempDir('splitup-chain-');
    this.cleanup = cleanup;
    // Blocks come from this helper's own 100 ms timer rather than the validator's, so a test can
    // hold the chain's clock (holdSlots) while it observes state that a deadline would change.
    this.validator = await LocalValidator.start({ dataDir: dir, programs: [{ id: PROGRAM_ID, so: loadProgramBinary() }], slotMs: 0 });
    this.releaseSlots();
    this.chain = new ChainClient(this.validator.url, PROGRAM_ID, this.authority.publicKey);
    const oracles = this.tc.oracles.map((_, i) => this.oracleKeypair(i));
    await bootstrapChain(this.chain, { authority: this.authority, oracles: oracles.map((o) => o.publicKey), nodes: this.nodeKeys.map((keypair) => ({ keypair })), ...(this.opts.params ? { params: this.opts.params } : {}) });
    for (const o of oracles) await airdrop(this.chain, o.publicKey, 10_000_000_000n);
    await this.tc.startAll();
  }

  startLoop(i: number, votes?: VoteStore): ChainLoop {
    const o = this.tc.oracles[i]!;
    const loop = new ChainLoop({
      chain: this.chain, committee: this.tc.committee, me: i, signer: this.oracleKeypair(i), vrfSecret: vrfSecretOf(this.tc, i),
      table: async (round) => {
        const c = await o.service?.getCommitted(round);
        return c ? { round, hash: c.committed.hash, entries: c.committed.entries } : null;
      },
      publishProof: async (d) => { await o.p2p?.publishTo(this.proofTopic, d); },
      votes: votes ?? new LevelVoteStore(o.db!), clock: SystemClock, pollMs: this.opts.loopPollMs ?? 100, subscribe: this.opts.loopSubscribe ?? true, proofTimeoutMs: 1500,
      onEvent: (e) => this.events.push({ ...e, oracle: i }),
    });
    this.loops[i] = loop;
    loop.start();
    return loop;
  }

  async stopLoop(i: number): Promise<void> {
    await this.loops[i]?.stop();
    this.loops[i] = null;
  }

  async close(): Promise<void> {
    if (this.opts.follows) { // the chain is the followed committee's: it closes it
      for (let i = 0; i < this.loops.length; i++) await this.stopLoop(i);
      await this.tc.close();
      return;
    }
    await this.holdSlots().catch(() => undefined);
    for (let i = 0; i < this.loops.length; i++) await this.stopLoop(i);
    await this.tc.close();
    await this.validator?.close();
    this.cleanup();
  }
}
