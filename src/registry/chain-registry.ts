// The node registry read from the chain: node accounts of the SplitUp program (registered,
// active, specializations), refreshed by polling. The last good snapshot is kept when a
// refresh fails, so an RPC hiccup never empties the registry.
import type { ChainClient } from '../chain/client.js';
import { NodeStatus } from '../chain/layout.js';
import type { NodeRegistry, RegisteredNode } from './registry.js';

export class ChainRegistry implements NodeRegistry {
  private byId = new Map<string, RegisteredNode>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly chain: ChainClient, private readonly onError: (e: unknown) => void = () => {}) {}

  async refresh(): Promise<void> {
    const nodes = await this.chain.nodes();
    this.byId = new Map(nodes.map((n) => [n.key.toBase58(), {
      nodeId: n.key.toBase58(), active: n.status === NodeStatus.Active, specializations: n.specializations, vramMb: n.vramGb * 1024,
    }]));
  }

  /** Loads once (failing if the chain is unreachable), then refreshes every `everyMs`. */
  async watch(everyMs = 2000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => { this.refresh().catch(this.onError); }, everyMs);
    this.timer.unref();
  }

  /** Starts a refresh now (SIGHUP); errors go to onError. */
  reload(): Error | undefined { this.refresh().catch(this.onError); return undefined; }

  get(nodeId: string): RegisteredNode | undefined { return this.byId.get(nodeId); }
  list(): RegisteredNode[] { return [...this.byId.values()]; }
  close(): void { if (this.timer) clearInterval(this.timer); }
}
