import { Ed25519Signer } from '../../src/common/ed25519.js';
import { toBase58 } from '../../src/common/bytes.js';
import { signHeartbeat, type SignedHeartbeatData } from '../../src/liveness/heartbeat-codec.js';
import { randomBytes } from 'node:crypto';

export class TestNode {
  readonly signer: Ed25519Signer;
  readonly nodeId: string;
  seq = 0n;
  constructor(seed: Uint8Array = randomBytes(32)) {
    this.signer = new Ed25519Signer(seed);
    this.nodeId = toBase58(this.signer.publicKey);
  }
  heartbeat(timestamp: number, over: Partial<{ seq: bigint; vramFreeMb: number }> = {}): SignedHeartbeatData {
    const seq = over.seq ?? ++this.seq;
    return signHeartbeat(this.signer, { timestamp, seq, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: over.vramFreeMb ?? 8192 });
  }
}

/** Polls `cond` until true or the deadline; never sleeps blindly past it. */
/** Polls `fn` until it returns a truthy value (returned), failing after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 20_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
