// The node registry as the oracle sees it: which compute nodes may send
// heartbeats and be selected. Lookups are synchronous (heartbeat hot path) and
// served from an in-memory snapshot that a source refreshes: a registry file
// now (FileRegistry), the chain's node accounts later.
export interface RegisteredNode {
  /** base58 Ed25519 public key (the node's Solana address). */
  nodeId: string;
  active: boolean;
  /** taskIds (u32) the node is specialized in. */
  specializations: number[];
  vramMb?: number;
}

export interface NodeRegistry {
  get(nodeId: string): RegisteredNode | undefined;
  list(): RegisteredNode[];
}

/** A registry an oracle process owns: reloadable on SIGHUP and closed on shutdown. */
export interface ManagedRegistry extends NodeRegistry {
  reload(): Error | undefined;
  close(): void;
}

/** A fixed registry, for tests and the simulator. */
export class StaticRegistry implements NodeRegistry {
  private readonly byId = new Map<string, RegisteredNode>();
  constructor(nodes: RegisteredNode[] = []) { this.replace(nodes); }
  replace(nodes: RegisteredNode[]): void {
    this.byId.clear();
    for (const n of nodes) this.byId.set(n.nodeId, n);
  }
  get(nodeId: string): RegisteredNode | undefined { return this.byId.get(nodeId); }
  list(): RegisteredNode[] { return [...this.byId.values()]; }
}
