// The validator's WebSocket PubSub API (Solana's: RPC port + 1 by default): account, program,
// signature, logs, slot and root subscriptions with their unsubscribes. Notifications follow
// commitment: `processed` as a transaction executes, `confirmed` when its slot closes,
// `finalized` when that slot becomes the root (FINALITY_DEPTH slots later), carrying the state
// as of the end of that slot.
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { PublicKey } from '@solana/web3.js';
import { type AccountView, type Commitment, type Ledger, type LedgerEvent, type TxRecord } from './ledger.js';
import { accountEncoding, dataSlice, encodeAccount, invalidParams, isTokenProgram, matches, parseFilters, pubkeyParam, RpcError, type AccountEncoding, type DataSlice, type Filter } from './encode.js';
import { API_VERSION } from './rpc.js';

const MAX_CONNECTIONS = 512;
const MAX_SUBS_PER_CONNECTION = 4096;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const SYSTEM = new PublicKey('11111111111111111111111111111111');

interface Base { id: number; ws: WebSocket; commitment: Commitment }
type Sub = Base & (
  | { kind: 'account'; pubkey: string; encoding: AccountEncoding; slice?: DataSlice }
  | { kind: 'program'; program: string; encoding: AccountEncoding; slice?: DataSlice; filters: Filter[] }
  | { kind: 'signature'; signature: string; received: boolean }
  | { kind: 'logs'; mentions: string | null }
  | { kind: 'slot' }
  | { kind: 'root' }
);

const KINDS: Record<string, Sub['kind']> = {
  accountSubscribe: 'account', programSubscribe: 'program', signatureSubscribe: 'signature', logsSubscribe: 'logs', slotSubscribe: 'slot', rootSubscribe: 'root',
};
const NOTIFY: Record<Sub['kind'], string> = {
  account: 'accountNotification', program: 'programNotification', signature: 'signatureNotification', logs: 'logsNotification', slot: 'slotNotification', root: 'rootNotification',
};

interface SlotChanges { accounts: Set<string>; txs: TxRecord[]; values?: Map<string, AccountView | null> }

export class PubSub {
  private subs = new Map<number, Sub>();
  private perSocket = new Map<WebSocket, Set<number>>();
  private nextId = 0;
  private pending = new Map<number, SlotChanges>();
  private lastRoot: number;
  private off: () => void;

  private constructor(private readonly ledger: Ledger, readonly wss: WebSocketServer, readonly url: string) {
    this.lastRoot = ledger.rawSlotAt('finalized');
    this.off = ledger.on((e) => this.onLedger(e));
    wss.on('connection', (ws) => this.accept(ws));
  }

  /** Listens on host:port (0 = ephemeral); rejects with the listen error (e.g. EADDRINUSE). */
  static listen(ledger: Ledger, host: string, port: number): Promise<PubSub> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host, port, maxPayload: 64 * 1024, clientTracking: true });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', () => undefined);
        const a = wss.address() as AddressInfo;
        resolve(new PubSub(ledger, wss, `ws://${host}:${a.port}`));
      });
    });
  }

  get subscriptionCount(): number { return this.subs.size; }

  async close(): Promise<void> {
    this.off();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private accept(ws: WebSocket): void {
    if (this.wss.clients.size > MAX_CONNECTIONS) { ws.close(1013, 'too many connections'); return; }
    this.perSocket.set(ws, new Set());
    ws.on('message', (raw) => {
      let msg: unknown;
      try { msg = JSON.parse(raw.toString()); } catch { this.send(ws, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }); return; }
      if (Array.isArray(msg) && msg.length === 0) { this.send(ws, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: empty batch' } }); return; }
      const calls = Array.isArray(msg) ? msg : [msg];
      for (const c of calls.slice(0, 100)) this.handle(ws, c as { id?: unknown; method?: unknown; params?: unknown });
    });
    ws.on('close', () => {
      for (const id of this.perSocket.get(ws) ?? []) this.subs.delete(id);
      this.perSocket.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  private send(ws: WebSocket, body: unknown): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) { ws.terminate(); return; } // a reader that does not keep up
    ws.send(JSON.stringify(body));
  }

  private notify(s: Sub, result: unknown): void {
    this.send(s.ws, { jsonrpc: '2.0', method: NOTIFY[s.kind], params: { result, subscription: s.id } });
  }

  private handle(ws: WebSocket, call: { id?: unknown; method?: unknown; params?: unknown }): void {
    const id = call && typeof call === 'object' && (typeof call.id === 'number' || typeof call.id === 'string') ? call.id : null;
    const reply = (result: unknown) => this.send(ws, { jsonrpc: '2.0', id, result });
    try {
      if (!call || typeof call !== 'object' || typeof call.method !== 'string') throw new RpcError(-32600, 'Invalid request');
      const params = Array.isArray(call.params) ? call.params : call.params === undefined ? [] : (() => { throw invalidParams('params must be an array'); })();
      const m = call.method;
      if (m.endsWith('Unsubscribe')) {
        const kind = KINDS[m.replace('Unsubscribe', 'Subscribe')];
        const subId = params[0];
        const s = typeof subId === 'number' ? this.subs.get(subId) : undefined;
        if (!kind || !s || s.ws !== ws || s.kind !== kind) {
          if (!kind) throw new RpcError(-32601, `Method not found: ${m}`);
          throw new RpcError(-32602, 'Invalid subscription id.');
        }
        this.drop(s);
        reply(true);
        return;
      }
      const kind = KINDS[m];
      if (!kind) throw new RpcError(-32601, `Method not found: ${m}`);
      if ((this.perSocket.get(ws)?.size ?? 0) >= MAX_SUBS_PER_CONNECTION) throw new RpcError(-32603, 'Internal error: too many subscriptions on this connection');
      const s = this.build(kind, ws, params);
      this.subs.set(s.id, s);
      this.perSocket.get(ws)?.add(s.id);
      reply(s.id);
      if (s.kind === 'signature') void this.checkSignature(s, true);
    } catch (e) {
      const err = e instanceof RpcError ? { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } : { code: -32603, message: `Internal error: ${(e as Error).message}` };
      this.send(ws, { jsonrpc: '2.0', id, error: err });
    }
  }

  private build(kind: Sub['kind'], ws: WebSocket, p: unknown[]): Sub {
    const cfgAt = (i: number) => {
      const c = p[i];
      if (c === undefined || c === null) return {} as Record<string, unknown>;
      if (typeof c !== 'object' || Array.isArray(c)) throw invalidParams('configuration must be an object');
      return c as Record<string, unknown>;
    };
    const commitmentOf = (c: Record<string, unknown>): Commitment => {
      const v = c.commitment ?? 'finalized';
      if (v !== 'processed' && v !== 'confirmed' && v !== 'finalized') throw invalidParams(`unknown commitment ${JSON.stringify(v)}`);
      return v;
    };
    const id = ++this.nextId;
    switch (kind) {
      case 'account': { const c = cfgAt(1); return { id, ws, kind, pubkey: pubkeyParam(p[0]), commitment: commitmentOf(c), encoding: accountEncoding(c.encoding), slice: dataSlice(c.dataSlice) }; }
      case 'program': { const c = cfgAt(1); return { id, ws, kind, program: pubkeyParam(p[0], 'program id'), commitment: commitmentOf(c), encoding: accountEncoding(c.encoding), slice: dataSlice(c.dataSlice), filters: parseFilters(c.filters) }; }
      case 'signature': {
        const c = cfgAt(1);
        if (typeof p[0] !== 'string' || p[0].length > 100) throw invalidParams('signature must be a base-58 string');
        return { id, ws, kind, signature: p[0], commitment: commitmentOf(c), received: c.enableReceivedNotification === true };
      }
      case 'logs': {
        const f = p[0];
        let mentions: string | null = null;
        if (f === 'all' || f === 'allWithVotes') mentions = null;
        else if (f && typeof f === 'object' && Array.isArray((f as { mentions?: unknown }).mentions) && (f as { mentions: unknown[] }).mentions.length === 1) mentions = pubkeyParam((f as { mentions: unknown[] }).mentions[0]);
        else throw invalidParams('logs filter must be "all", "allWithVotes" or {"mentions": [one address]}');
        return { id, ws, kind, mentions, commitment: commitmentOf(cfgAt(1)) };
      }
      case 'slot': return { id, ws, kind, commitment: 'processed' };
      case 'root': return { id, ws, kind, commitment: 'finalized' };
    }
  }

  private drop(s: Sub): void {
    this.subs.delete(s.id);
    this.perSocket.get(s.ws)?.delete(s.id);
  }

  /** Notifies (and ends) a signature subscription whose transaction has reached its commitment. */
  private async checkSignature(s: Extract<Sub, { kind: 'signature' }>, atSubscribe = false): Promise<void> {
    const st = atSubscribe ? await this.ledger.signatureStatus(s.signature).catch(() => null) : this.ledger.recentStatus(s.signature);
    if (!st || !this.subs.has(s.id)) return;
    if (this.ledger.reached(st.slot, s.commitment)) {
      this.notify(s, { context: { slot: st.slot }, value: { err: st.err } });
      this.drop(s);
    }
  }

  private decimals = (mint: string): number | null => {
    const m = this.ledger.account(mint);
    return m && isTokenProgram(m.owner.toBase58()) && m.data.length >= 82 && m.data[45] ? m.data[44]! : null;
  };

  private accountValue(s: { encoding: AccountEncoding; slice?: DataSlice }, a: AccountView | null): unknown {
    const view = a ?? { lamports: 0n, owner: SYSTEM, data: new Uint8Array(), executable: false };
    const enc = s.encoding === 'base58' || s.encoding === 'binary' ? (view.data.length > 128 && !s.slice ? 'base64' : s.encoding) : s.encoding;
    return encodeAccount(view, enc, s.slice, this.decimals);
  }

  /** Account, program and logs notifications for one slot's changes at one commitment. */
  private deliver(level: Commitment, slot: number, ch: SlotChanges, value: (k: string) => AccountView | null): void {
    const ctx = { slot, apiVersion: API_VERSION };
    for (const s of this.subs.values()) {
      if (s.commitment !== level) continue;
      if (s.kind === 'account' && ch.accounts.has(s.pubkey)) this.notify(s, { context: ctx, value: this.accountValue(s, value(s.pubkey)) });
      else if (s.kind === 'program') {
        for (const k of ch.accounts) {
          const a = value(k);
          if (a && a.owner.toBase58() === s.program && matches(a.data, s.filters)) this.notify(s, { context: ctx, value: { pubkey: k, account: this.accountValue(s, a) } });
        }
      } else if (s.kind === 'logs') {
        for (const r of ch.txs) if (s.mentions === null || r.keys.includes(s.mentions)) this.notify(s, { context: ctx, value: { signature: r.signature, err: r.err, logs: r.logs } });
      }
    }
  }

  private onLedger(e: LedgerEvent): void {
    if (e.type === 'tx') {
      const r = e.record;
      const changed = new Set(r.keys.filter((_, i) => r.writable[i]));
      let p = this.pending.get(r.slot);
      if (!p) this.pending.set(r.slot, p = { accounts: new Set(), txs: [] });
      for (const k of changed) p.accounts.add(k);
      p.txs.push(r);
      this.deliver('processed', r.slot, { accounts: changed, txs: [r] }, (k) => this.ledger.account(k));
      for (const s of this.subs.values()) {
        if (s.kind !== 'signature' || s.signature !== r.signature) continue;
        if (s.commitment === 'processed') { this.notify(s, { context: { slot: r.slot }, value: { err: r.err } }); this.drop(s); }
        else if (s.received) { this.notify(s, { context: { slot: r.slot }, value: 'receivedSignature' }); s.received = false; }
      }
      return;
    }
    const closed = e.closed.slot;
    const ch = this.pending.get(closed) ?? { accounts: new Set<string>(), txs: [] };
    this.pending.set(closed, ch);
    // keep end-of-slot values for finalized subscribers until the slot is rooted
    if ([...this.subs.values()].some((s) => s.commitment === 'finalized' && (s.kind === 'account' || s.kind === 'program'))) {
      ch.values = new Map([...ch.accounts].map((k) => [k, this.ledger.account(k)]));
    }
    this.deliver('confirmed', closed, ch, (k) => this.ledger.account(k));
    for (const s of this.subs.values()) if (s.kind === 'slot') this.notify(s, { parent: e.slot - 1, root: e.root, slot: e.slot });
    if (e.rawRoot > this.lastRoot) {
      for (let r = Math.max(0, this.lastRoot + 1); r <= e.rawRoot; r++) {
        const c = this.pending.get(r);
        if (c) this.deliver('finalized', r, c, (k) => (c.values ? c.values.get(k) ?? null : this.ledger.account(k)));
        this.pending.delete(r);
      }
      this.lastRoot = e.rawRoot;
      for (const s of this.subs.values()) if (s.kind === 'root') this.notify(s, e.root);
    }
    for (const k of this.pending.keys()) if (k <= e.rawRoot) this.pending.delete(k);
    for (const s of [...this.subs.values()]) if (s.kind === 'signature') void this.checkSignature(s);
  }
}
