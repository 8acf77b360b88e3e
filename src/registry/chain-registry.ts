// The node registry read from the chain: node accounts of the SplitUp program (registered,
// active, specializations) of this committee. With a subscription (the RPC's WebSocket programSubscribe) it is
// incremental: each notification of a node account updates that one node, and the whole set is
// re-read only at start, after the socket reconnects (changes may have been missed) and every
// `fullEveryMs` as a reconciliation — at 100,000 nodes a full read is ~18 MB of account data, too
// much to repeat every couple of seconds. Without one it re-reads everything every `everyMs`. The
// last good snapshot is kept when a read fails, so an RPC hiccup never empties the registry.
import type { PublicKey } from '@solana/web3.js';
import type { ChainClient } from '../chain/client.js';
import { ACCOUNT_SIZE, decodeNode, NodeStatus, TAGS, type NodeAccount } from '../chain/layout.js';
import type { AccountChange } from '../chain/program-watch.js';
import type { NodeRegistry, RegisteredNode } from './registry.js';

export interface RegistryStats { fullReads: number; incremental: number }

const entryOf = (n: NodeAccount): RegisteredNode => ({
  nodeId: n.key.toBase58(), active: n.status === NodeStatus.Active, specializations: n.specializations, vramMb: n.vramGb * 1024,
});

function isNodeAccount(data: Uint8Array): boolean {
  return data.length === ACCOUNT_SIZE.node && Buffer.from(data.buffer, data.byteOffset, 4).readUInt32LE(0) === TAGS.node;
}

export class ChainRegistry implements NodeRegistry {
  private byId = new Map<string, RegisteredNode>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  /** changes seen while a full read is in flight: applied over its (possibly older) result */
  private pending: RegisteredNode[] | null = null;
  private reading: Promise<void> | null = null;
  private again = false;
  readonly stats: RegistryStats = { fullReads: 0, incremental: 0 };
  private committee: PublicKey | null = null;

  constructor(private readonly chain: ChainClient, private readonly onError: (e: unknown) => void = () => {}) {}

  /** Re-reads every node account (one at a time: a request during a read runs once after it). */
  refresh(): Promise<void> {
    if (this.reading) { this.again = true; return this.reading; }
    this.pending = [];
    this.reading = (async () => {
      try {
        const nodes = await this.chain.nodes();
        const next = new Map(nodes.map((n) => { const e = entryOf(n); return [e.nodeId, e] as const; }));
        for (const e of this.pending ?? []) next.set(e.nodeId, e);
        this.byId = next;
        this.stats.fullReads++;
      } finally {
        this.pending = null;
        this.reading = null;
        if (this.again) { this.again = false; this.refresh().catch(this.onError); }
      }
    })();
    return this.reading;
  }

  private onChange = (change?: AccountChange): void => {
    if (!change) { this.refresh().catch(this.onError); return; } // reconnected: changes may have been missed
    if (!isNodeAccount(change.data)) return;
    let n: NodeAccount;
    try { n = decodeNode(change.data); } catch (err) { this.onError(err); return; }
    this.committee ??= this.chain.program.committeeAddress();
    if (!n.committee.equals(this.committee)) return; // another committee's node
    const e = entryOf(n);
    this.byId.set(e.nodeId, e);
    this.pending?.push(e);
    this.stats.incremental++;
  };

  /**
   * Loads once (failing if the chain is unreachable), then follows the chain: by subscription
   * (`subscribe`, with a full re-read every `fullEveryMs`), or by re-reading every `everyMs`.
   */
  async watch(everyMs = 2000, o: { subscribe?: boolean; fullEveryMs?: number } = {}): Promise<void> {
    const subscribe = o.subscribe ?? false;
    // subscribe first, so no change between the read and the subscription is lost
    if (subscribe) this.unsubscribe = this.chain.onProgramChange(this.onChange);
    await this.refresh();
    const every = subscribe ? o.fullEveryMs ?? 60_000 : everyMs;
    this.timer = setInterval(() => { this.refresh().catch(this.onError); }, every);
    this.timer.unref();
  }

  /** Starts a full re-read now (SIGHUP); errors go to onError. */
  reload(): Error | undefined { this.refresh().catch(this.onError); return undefined; }

  get(nodeId: string): RegisteredNode | undefined { return this.byId.get(nodeId); }
  list(): RegisteredNode[] { return [...this.byId.values()]; }
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.().catch(() => {});
    this.unsubscribe = null;
  }
}
