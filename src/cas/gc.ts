// Chain-aware garbage collection of a content-addressed store (a CAS server's directory, an S3
// bucket, a node's cache directory). The chain says what every blob is:
//
//   needed        the input or an accepted task output of an execution still running — never
//                 deleted, whatever its age (a running execution may still read it: a task's
//                 inputs, a re-run after a timeout, a verification, an arbitration)
//   final         a model output of an execution that finished with a result, not yet released
//                 by its requester — kept until the requester's signed release (src/cas/release.ts)
//                 or until it is unused for finalTtlMs
//   settled       referenced only by executions that settled (finished or failed): their inputs,
//                 their intermediate tensors, released final outputs — deleted at the next pass
//   unreferenced  named by no execution on chain (an input uploaded before its request lands, an
//                 output put just before its reveal lands, model weights, other committees' data) —
//                 deleted when unused for ttlMs (0: kept)
//
// A blob written or read within graceMs is never deleted (a new execution may have just uploaded
// the same bytes as a settled one's), and the deletion itself re-checks that the blob was not
// touched after the listing, so a write racing the collector wins.
//
// Who runs it: whoever owns the store's deletions — the CAS server on its own directory
// (`splitup-node cas-serve --rpc ...`), the bucket's owner for S3 (`splitup-node cas-gc`). Oracles
// never touch tensors. The planning below is a pure function of the listing, the chain's state and
// the time; collectGarbage() is the I/O around it.
import type { PublicKey } from '@solana/web3.js';
import { ExecStatus, type ExecutionAccount, type ModelAccount } from '../chain/layout.js';
import type { ChainClient } from '../chain/client.js';
import type { BlobInfo } from './store.js';
import { decodeRelease, verifyRelease, type SignedRelease } from './release.js';
import { PollLoop } from '../common/poll-loop.js';

export interface GcPolicy {
  /** an unreferenced blob unused this long is deleted (ms; 0 keeps unreferenced blobs) */
  ttlMs: number;
  /** an unreleased final output unused this long is deleted (ms; 0: kept until released) */
  finalTtlMs: number;
  /** a blob written or read this recently is never deleted (ms) */
  graceMs: number;
}

export const DEFAULT_GC_POLICY: GcPolicy = { ttlMs: 24 * 3600_000, finalTtlMs: 7 * 24 * 3600_000, graceMs: 10 * 60_000 };

export type GcReason = 'needed' | 'recent' | 'final' | 'final-expired' | 'settled' | 'unreferenced' | 'expired';
export const DELETES: ReadonlySet<GcReason> = new Set(['final-expired', 'settled', 'expired']);

/** What the chain says about blobs: by hex SHA-256. */
export interface ChainRefs {
  /** referenced by an execution still running (execution ids) */
  needed: Map<string, bigint[]>;
  /** a final output of a finished, unreleased execution */
  final: Set<string>;
  /** referenced by a settled execution */
  settled: Set<string>;
}

const hexOf = (b: Uint8Array): string | null => (b.every((x) => x === 0) ? null : Buffer.from(b).toString('hex'));
const inputHex = (uri: string): string | null => /^cas:\/\/([0-9a-f]{64})$/.exec(uri)?.[1] ?? null;

/**
 * The chain's references from every execution of the committee, the models they run and the
 * executions whose requester released the outputs. A finished execution whose model is not known
 * keeps all its outputs as final (the safe side).
 */
export function chainRefs(executions: ExecutionAccount[], models: ReadonlyMap<number, ModelAccount>, released: ReadonlySet<bigint>): ChainRefs {
  const refs: ChainRefs = { needed: new Map(), final: new Set(), settled: new Set() };
  for (const e of executions) {
    const blobs = [inputHex(e.uri), ...e.tasks.map((ts) => hexOf(ts.output))].filter((x): x is string => x !== null);
    if (e.status !== ExecStatus.Done) {
      for (const h of blobs) refs.needed.set(h, [...(refs.needed.get(h) ?? []), e.execId]);
      continue;
    }
    for (const h of blobs) refs.settled.add(h);
    if (e.failed || released.has(e.execId)) continue; // a failed execution has no result to deliver
    const m = models.get(e.modelId);
    const finals = m ? m.outputs.map((o) => hexOf(e.tasks[o.node]?.output ?? new Uint8Array(32))) : e.tasks.map((ts) => hexOf(ts.output));
    for (const h of finals) if (h) refs.final.add(h);
  }
  return refs;
}

/** Why each blob is kept or deleted (pure). */
export function planCollection(blobs: BlobInfo[], refs: ChainRefs, nowMs: number, p: GcPolicy): Array<BlobInfo & { reason: GcReason }> {
  return blobs.map((b) => {
    const idle = nowMs - b.touchedMs;
    const reason: GcReason = refs.needed.has(b.hex) ? 'needed'
      : idle < p.graceMs ? 'recent'
        : refs.final.has(b.hex) ? (p.finalTtlMs > 0 && idle >= p.finalTtlMs ? 'final-expired' : 'final')
          : refs.settled.has(b.hex) ? 'settled'
            : p.ttlMs > 0 && idle >= p.ttlMs ? 'expired' : 'unreferenced';
    return { ...b, reason };
  });
}

/** A store the collector can list and delete from. */
export interface GcTarget {
  readonly where: string;
  list(): Promise<BlobInfo[]>;
  /** deletes unless touched after `unlessTouchedAfterMs`; returns the bytes freed (null: not deleted) */
  remove(hex: string, unlessTouchedAfterMs: number): Promise<number | null>;
  /** the release records requesters left (name, JSON bytes) */
  releases(): Promise<Array<{ name: string; bytes: Uint8Array }>>;
  dropRelease(name: string): Promise<void>;
}

/** What the collector reads from chain. */
export interface ChainView {
  /** the committee's address (releases are bound to it) */
  readonly committee: PublicKey;
  /** every execution of the committee (running and settled; closed ones are gone) */
  executions(): Promise<ExecutionAccount[]>;
  execution(id: bigint): Promise<ExecutionAccount | null>;
  model(id: number): Promise<ModelAccount | null>;
}

export function chainViewOf(chain: ChainClient): ChainView {
  return { committee: chain.program.committeeAddress(), executions: () => chain.executions(), execution: (id) => chain.execution(id), model: (id) => chain.model(id) };
}

export interface GcReport {
  deleted: number;
  freedBytes: number;
  kept: number;
  byReason: Partial<Record<GcReason, number>>;
  releases: { honoured: number; dropped: number };
}

/**
 * One collector pass. Without a chain every blob is unreferenced (time to live only). Releases
 * that are malformed, forged (not signed by the execution's requester) or for executions no
 * longer on chain are dropped.
 */
export async function collectGarbage(target: GcTarget, chain: ChainView | null, policy: GcPolicy, nowMs: number): Promise<GcReport> {
  // list first, read the chain second: a blob is classified by a chain state no older than its listing
  const blobs = await target.list();
  const executions = chain ? await chain.executions() : [];
  const byId = new Map(executions.map((e) => [e.execId, e]));
  const released = new Set<bigint>();
  let dropped = 0;
  for (const rec of chain ? await target.releases() : []) {
    let r: SignedRelease | null = null;
    try { r = decodeRelease(rec.bytes); } catch { /* malformed */ }
    const e = r && byId.get(r.execId);
    const valid = r && e && e.requester.equals(r.requester) && verifyRelease(chain!.committee, r);
    if (!valid) { await target.dropRelease(rec.name); dropped++; continue; }
    if (e.status === ExecStatus.Done) released.add(e.execId);
  }
  const models = new Map<number, ModelAccount>();
  for (const id of new Set(executions.filter((e) => e.status === ExecStatus.Done).map((e) => e.modelId))) {
    const m = await chain!.model(id);
    if (m) models.set(id, m);
  }
  const plan = planCollection(blobs, chainRefs(executions, models, released), nowMs, policy);
  const report: GcReport = { deleted: 0, freedBytes: 0, kept: 0, byReason: {}, releases: { honoured: released.size, dropped } };
  for (const b of plan) {
    let reason = b.reason;
    if (DELETES.has(reason)) {
      const freed = await target.remove(b.hex, b.touchedMs);
      if (freed !== null) { report.deleted++; report.freedBytes += freed; } else reason = 'recent'; // touched (or deleted) meanwhile
    }
    if (!DELETES.has(reason)) report.kept++;
    report.byReason[reason] = (report.byReason[reason] ?? 0) + 1;
  }
  return report;
}

/**
 * A collector running every `everyMs` (the CAS server's own interval aside): a node's cache, a
 * bucket's or a shared directory's owner (`splitup-node agent --cache-gc-ms`, `cas-gc --every`).
 * One pass at a time; a failed pass (the chain unreachable) deletes nothing and is reported.
 */
export function startCollector(o: { target: GcTarget; chain: ChainView; policy: GcPolicy; everyMs: number; now?: () => number; onReport?: (r: GcReport) => void; onError?: (e: unknown) => void }): { stop: () => Promise<void> } {
  const loop = new PollLoop({
    // (not `onReport?.(await collectGarbage(...))`: an absent onReport would skip the pass itself)
    tick: async () => { const r = await collectGarbage(o.target, o.chain, o.policy, (o.now ?? Date.now)()); o.onReport?.(r); },
    everyMs: o.everyMs, ...(o.onError ? { onError: o.onError } : {}),
  });
  loop.start();
  return { stop: () => loop.stop() };
}
