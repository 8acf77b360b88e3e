// Program account changes over Solana's WebSocket PubSub (`programSubscribe`), for waking the
// chain loop and the node agent. Its own small client instead of web3.js's: web3.js keeps
// reconnecting to a closed endpoint forever after its last listener is gone (a process that
// stopped its loops never exited), and it offers no way to close the socket. Here the socket
// opens with the first listener, reconnects with backoff (unref'd timers) while listeners remain,
// and closes as soon as the last one leaves. Each notification names the changed account and
// carries its data as the RPC sent it (the same endpoint the HTTP reads trust); a call without a
// change means changes may have been missed (the socket closed) and the listener should re-read.
import WebSocket from 'ws';

/** web3.js's convention: the PubSub endpoint is the RPC URL with ws(s) and port + 1. */
export function pubsubUrlFor(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.port) u.port = String(Number(u.port) + 1);
  return u.toString();
}

/** One changed program account: its address (base58) and data. */
export interface AccountChange { pubkey: string; data: Uint8Array; slot: number }
export type ChangeListener = (change?: AccountChange) => void;

export class ProgramWatch {
  private ws: WebSocket | null = null;
  private readonly listeners = new Set<ChangeListener>();
  private retry: NodeJS.Timeout | null = null;
  private backoffMs = 250;
  /** notifications received, and (re)connections made */
  readonly stats = { notifications: 0, connects: 0 };

  constructor(private readonly url: string, private readonly programId: string, private readonly commitment = 'confirmed') {}

  /** Calls `cb` on every change to an account of the program (and without one after a reconnect:
   * changes may have been missed); returns the unsubscribe. */
  subscribe(cb: ChangeListener): () => Promise<void> {
    this.listeners.add(cb);
    if (!this.ws && !this.retry) this.connect();
    return async () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0) this.close();
    };
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      this.stats.connects++;
      this.backoffMs = 250;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'programSubscribe', params: [this.programId, { commitment: this.commitment, encoding: 'base64' }] }));
    });
    ws.on('message', (data) => {
      let m: { method?: string; params?: { result?: { context?: { slot?: number }; value?: { pubkey?: unknown; account?: { data?: unknown } } } } };
      try { m = JSON.parse(String(data)) as typeof m; } catch { return; }
      // the subscription is live: whatever changed before it is for the listeners to read now
      if ((m as { id?: number; result?: unknown }).id === 1 && typeof (m as { result?: unknown }).result === 'number') { for (const cb of [...this.listeners]) cb(); return; }
      if (m.method !== 'programNotification') return;
      this.stats.notifications++;
      const r = m.params?.result;
      const d = r?.value?.account?.data;
      const change = typeof r?.value?.pubkey === 'string' && Array.isArray(d) && typeof d[0] === 'string'
        ? { pubkey: r.value.pubkey, data: new Uint8Array(Buffer.from(d[0], 'base64')), slot: r.context?.slot ?? 0 } : undefined;
      // a notification that does not parse still says something changed: listeners re-read
      for (const cb of [...this.listeners]) cb(change);
    });
    ws.on('error', () => { /* 'close' follows and schedules the retry */ });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.listeners.size === 0) return;
      // the endpoint went away: wake the listeners once (changes may have been missed), then retry
      for (const cb of [...this.listeners]) cb();
      this.retry = setTimeout(() => { this.retry = null; if (this.listeners.size) this.connect(); }, this.backoffMs);
      this.retry.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
    });
  }

  private close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) { if (ws.readyState === WebSocket.CONNECTING) ws.terminate(); else ws.close(); }
  }
}
