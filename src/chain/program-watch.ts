// Program account changes over Solana's WebSocket PubSub (`programSubscribe`), for waking the
// chain loop and the node agent. Its own small client instead of web3.js's: web3.js keeps
// reconnecting to a closed endpoint forever after its last listener is gone (a process that
// stopped its loops never exited), and it offers no way to close the socket. Here the socket
// opens with the first listener, reconnects with backoff (unref'd timers) while listeners remain,
// and closes as soon as the last one leaves. Notifications carry no data the caller trusts: they
// only say "look now"; program state is always read over HTTP.
import WebSocket from 'ws';

/** web3.js's convention: the PubSub endpoint is the RPC URL with ws(s) and port + 1. */
export function pubsubUrlFor(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.port) u.port = String(Number(u.port) + 1);
  return u.toString();
}

export class ProgramWatch {
  private ws: WebSocket | null = null;
  private readonly listeners = new Set<() => void>();
  private retry: NodeJS.Timeout | null = null;
  private backoffMs = 250;
  /** notifications received, and (re)connections made */
  readonly stats = { notifications: 0, connects: 0 };

  constructor(private readonly url: string, private readonly programId: string, private readonly commitment = 'confirmed') {}

  /** Calls `cb` on every change to an account of the program; returns the unsubscribe. */
  subscribe(cb: () => void): () => Promise<void> {
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
      let m: { method?: string };
      try { m = JSON.parse(String(data)) as { method?: string }; } catch { return; }
      if (m.method !== 'programNotification') return;
      this.stats.notifications++;
      for (const cb of [...this.listeners]) cb();
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
