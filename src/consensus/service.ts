// Runs the consensus core in production: one input at a time (network
// message or timer), its effects executed in order — an own vote is fsync'ed
// to level before it is published — then the next timer armed. Catch-up
// fetches certified rounds from peers over HTTP and feeds them to the core,
// which verifies the certificate and the hash chain.
import { EventEmitter } from 'node:events';
import type { Clock } from '../common/clock.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import type { Committee } from './committee.js';
import { ConsensusCore, type Effect } from './core.js';
import { decodeMessage, MessageError, type Message } from './messages.js';
import type { ConsensusStore } from './store.js';
import { genesis, type CandidateSource, type CommittedRound } from './validity.js';

export interface Transport {
  publish(data: Uint8Array): Promise<void>;
}

export interface ServiceOptions {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  store: ConsensusStore;
  source: CandidateSource;
  clock: Clock;
  /** Fetches the decision message of a round from some peer (HTTP), or null. */
  fetchDecision?: (round: bigint) => Promise<Uint8Array | null>;
  log?: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

export interface CommitEvent { committed: CommittedRound; decision: Message; at: number }

export class ConsensusService extends EventEmitter {
  private core: ConsensusCore | null = null;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private transport: Transport | null = null;
  private fetching = false;
  private lastFetch = 0;
  private stopped = false;
  private head: { committed: CommittedRound; decision: Message | null };

  constructor(readonly o: ServiceOptions) {
    super();
    this.head = { committed: genesis(o.committee), decision: null };
  }

  async start(transport: Transport): Promise<void> {
    this.transport = transport;
    const head = await this.o.store.loadHead();
    if (head) this.head = head;
    const own = await this.o.store.loadOwn(this.head.committed.round + 1n);
    this.core = new ConsensusCore({ committee: this.o.committee, me: this.o.me, signer: this.o.signer, source: this.o.source, committed: this.head.committed, ownMessages: own });
    await this.run(() => this.core!.start(this.o.clock.now()));
  }

  get latest(): { committed: CommittedRound; decision: Message | null } { return this.head; }
  get stats() { return this.core?.stats; }
  get round(): bigint | undefined { return this.core?.currentRound; }
  get view(): number | undefined { return this.core?.currentView; }

  getCommitted(round: bigint): Promise<{ committed: CommittedRound; decision: Message } | null> {
    return this.o.store.loadCommit(round);
  }

  /** Relay-time validation (gossipsub topic validator). */
  precheck(data: Uint8Array): string | undefined {
    if (!this.core) return 'not started';
    let m: Message;
    try { m = decodeMessage(data); } catch (e) { return (e as MessageError).message; }
    return this.core.precheck(m);
  }

  /** A message from the network (HTTP, fetched decisions). Returns a rejection reason, if any. */
  receive(data: Uint8Array): string | undefined {
    if (!this.core || this.stopped) return 'not running';
    let m: Message;
    try { m = decodeMessage(data); } catch (e) { return (e as Error).message; }
    const err = this.core.precheck(m);
    if (err === 'stale') return undefined;
    if (err) return err;
    void this.run(() => this.core!.onMessage(m, this.o.clock.now(), true));
    return undefined;
  }

  /** A gossip message that already passed precheck() in the topic validator (signature checked once). */
  receiveValidated(data: Uint8Array): void {
    if (!this.core || this.stopped) return;
    let m: Message;
    try { m = decodeMessage(data); } catch { return; }
    void this.run(() => this.core!.onMessage(m, this.o.clock.now(), true));
  }

  private run(input: () => Effect[]): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.stopped || !this.core) return;
      await this.execute(input());
      this.arm();
    }).catch((e) => { this.o.log?.warn({ err: String(e) }, 'consensus step failed'); });
    return this.queue;
  }

  private async execute(fx: Effect[]): Promise<void> {
    for (const e of fx) {
      switch (e.type) {
        case 'persist': await this.o.store.saveOwn(e.msg); break; // durable before anything after it
        case 'send': await this.transport?.publish(e.msg.bytes); break;
        case 'commit':
          await this.o.store.saveCommit(e.committed, e.decision);
          this.head = { committed: e.committed, decision: e.decision };
          this.emit('commit', { committed: e.committed, decision: e.decision, at: this.o.clock.now() } satisfies CommitEvent);
          break;
        case 'fetch': this.catchUp(e.fromRound); break;
      }
    }
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const d = this.core?.nextDeadline();
    if (d === null || d === undefined || this.stopped) return;
    this.timer = setTimeout(() => { void this.run(() => this.core!.onTick(this.o.clock.now())); }, Math.max(0, d - this.o.clock.now()));
  }

  /** Fetches certified rounds from `from` on, one at a time, at most once a second. */
  private catchUp(from: bigint): void {
    const fetchDecision = this.o.fetchDecision;
    if (!fetchDecision || this.fetching || this.o.clock.now() - this.lastFetch < 1000) return;
    this.fetching = true;
    this.lastFetch = this.o.clock.now();
    void (async () => {
      try {
        for (let r = from; r < from + 256n && !this.stopped; r++) {
          const bytes = await fetchDecision(r);
          if (!bytes) break;
          const err = this.receive(bytes);
          if (err) { this.o.log?.warn({ round: r.toString(), err }, 'fetched decision rejected'); break; }
          await this.queue;
          if ((this.core?.lastCommitted.round ?? -1n) < r) break;
        }
      } finally { this.fetching = false; }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue;
  }
}
