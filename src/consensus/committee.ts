// The committee: members (index = position), the fault model and the
// consensus parameters, with a committee id that commits to all of them.
// Config file format `splitup/committee/v2` = v1 plus "epoch": N, the on-chain committee epoch whose
// member set the file holds (a v1 file is epoch 0; members appear in the on-chain set's order).
// Format `splitup/committee/v1`:
//   { "version": "splitup/committee/v1",
//     "params": { "epochMs": 30000, "genesisMs": 0, "proposeTimeoutMs": 1000, ... },
//     "members": [ { "name": "oracle-1", "signingKey": "<base58>", "vrfKey": "<hex>",
//                    "peerId": "<libp2p peer id>", "multiaddrs": ["/ip4/127.0.0.1/tcp/9000"],
//                    "httpUrl": "http://127.0.0.1:8080" }, ... ] }
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromBase58, fromHex, u32be, u64be, utf8 } from '../common/bytes.js';
import { maxFaulty, quorum } from '../common/quorum.js';
import { DEFAULT_TIMING, type LivenessTiming } from '../liveness/status.js';
import { SUITES, validatePublicKey, type Suite } from '../vrf/index.js';

export const COMMITTEE_VERSION = 'splitup/committee/v1';
/** The versioned format with an epoch (a rotation's member set); v1 files load as epoch 0. */
export const COMMITTEE_VERSION_V2 = 'splitup/committee/v2';

export interface CommitteeMember {
  name: string;
  signingKey: Uint8Array;
  vrfKey: Uint8Array;
  peerId?: string;
  multiaddrs: string[];
  httpUrl?: string;
}

export interface ConsensusParams {
  /** Length of a liveness round's epoch. */
  epochMs: number;
  /** Start of round 0's epoch (ms since the Unix epoch). Round r's epoch ends at genesisMs + (r+1)·epochMs. */
  genesisMs: number;
  proposeTimeoutMs: number;
  prevoteTimeoutMs: number;
  precommitTimeoutMs: number;
  /** Added to every timeout per view, so views lengthen until the network's delay fits. */
  timeoutDeltaMs: number;
  /** Tolerated clock difference between oracles and nodes. */
  maxSkewMs: number;
  liveness: LivenessTiming;
  suite: Suite;
}

export const DEFAULT_PARAMS: ConsensusParams = {
  epochMs: 30_000,
  genesisMs: 0,
  proposeTimeoutMs: 1_000,
  prevoteTimeoutMs: 500,
  precommitTimeoutMs: 500,
  timeoutDeltaMs: 500,
  maxSkewMs: 10_000,
  liveness: DEFAULT_TIMING,
  suite: 'ECVRF-EDWARDS25519-SHA512-TAI',
};

export interface Committee {
  id: Uint8Array;
  /** The on-chain committee epoch of this member set (0: the set the committee was created with). */
  epoch: number;
  members: CommitteeMember[];
  n: number;
  f: number;
  q: number;
  params: ConsensusParams;
}

export class CommitteeError extends Error { override name = 'CommitteeError'; }

export function committeeId(members: CommitteeMember[], p: ConsensusParams, epoch = 0): Uint8Array {
  const h = createHash('sha256').update(utf8(COMMITTEE_VERSION)).update(u32be(members.length));
  for (const m of members) h.update(m.signingKey).update(m.vrfKey);
  // every parameter that decides whether a message or table is valid, or when an oracle times out:
  // members that differ in any of them must not share an id (they would disagree on validity)
  h.update(utf8(p.suite)).update(u64be(p.epochMs)).update(u64be(p.genesisMs));
  for (const v of [p.proposeTimeoutMs, p.prevoteTimeoutMs, p.precommitTimeoutMs, p.timeoutDeltaMs, p.maxSkewMs,
    p.liveness.intervalMs, p.liveness.missedForOffline, p.liveness.graceMs]) h.update(u64be(v));
  // epochs after the first are bound too (epoch 0 keeps the v1 id): two epochs' sets never share an
  // id, so their consensus messages, certificates and gossip topics never mix
  if (epoch > 0) h.update(utf8('splitup/committee/v2/epoch')).update(u64be(epoch));
  return new Uint8Array(h.digest());
}

export function makeCommittee(members: CommitteeMember[], params: Partial<ConsensusParams> = {}, epoch = 0): Committee {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new CommitteeError('epoch must be an integer 0..2^32-1');
  const p = { ...DEFAULT_PARAMS, ...params, liveness: { ...DEFAULT_PARAMS.liveness, ...(params.liveness ?? {}) } };
  if (members.length < 1) throw new CommitteeError('a committee needs at least one member');
  const seen = new Set<string>();
  for (const [i, m] of members.entries()) {
    if (m.signingKey.length !== 32) throw new CommitteeError(`members[${i}].signingKey must be 32 bytes`);
    if (!validatePublicKey(m.vrfKey).valid) throw new CommitteeError(`members[${i}].vrfKey is not a valid VRF public key`);
    const k = Buffer.from(m.signingKey).toString('hex');
    if (seen.has(k)) throw new CommitteeError(`members[${i}] repeats a signing key`);
    seen.add(k);
  }
  if (!SUITES.includes(p.suite)) throw new CommitteeError(`params.suite must be one of ${SUITES.join(', ')}`);
  for (const k of ['epochMs', 'proposeTimeoutMs', 'prevoteTimeoutMs', 'precommitTimeoutMs'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < 1) throw new CommitteeError(`params.${k} must be a positive integer`);
  }
  for (const k of ['timeoutDeltaMs', 'maxSkewMs', 'genesisMs'] as const) {
    if (!Number.isSafeInteger(p[k]) || p[k] < 0) throw new CommitteeError(`params.${k} must be a non-negative integer`);
  }
  for (const k of ['intervalMs', 'missedForOffline', 'graceMs'] as const) {
    if (!Number.isSafeInteger(p.liveness[k]) || p.liveness[k] < (k === 'graceMs' ? 0 : 1)) throw new CommitteeError(`params.liveness.${k} must be a ${k === 'graceMs' ? 'non-negative' : 'positive'} integer`);
  }
  const n = members.length;
  return { id: committeeId(members, p, epoch), epoch, members, n, f: maxFaulty(n), q: quorum(n), params: p };
}

export function parseCommittee(doc: unknown, where = '<committee>'): Committee {
  const fail = (m: string): never => { throw new CommitteeError(`${where}: ${m}`); };
  if (typeof doc !== 'object' || doc === null) fail('must be a JSON object');
  const d = doc as { version?: unknown; params?: Record<string, unknown>; members?: unknown; epoch?: unknown };
  if (d.version !== COMMITTEE_VERSION && d.version !== COMMITTEE_VERSION_V2) fail(`version must be "${COMMITTEE_VERSION_V2}" (or "${COMMITTEE_VERSION}", epoch 0)`);
  if (d.version === COMMITTEE_VERSION && d.epoch !== undefined) fail(`epoch needs version "${COMMITTEE_VERSION_V2}"`);
  const epoch = d.version === COMMITTEE_VERSION ? 0 : d.epoch;
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) fail('epoch must be an integer 0..2^32-1');
  if (!Array.isArray(d.members) || d.members.length < 1) fail('members must be a non-empty array');
  const members = (d.members as Array<Record<string, unknown>>).map((m, i) => {
    const at = `members[${i}]`;
    if (typeof m?.name !== 'string') fail(`${at}.name must be a string`);
    let signingKey: Uint8Array, vrfKey: Uint8Array;
    try { signingKey = fromBase58(String(m.signingKey), 32); } catch { return fail(`${at}.signingKey must be a base58 32-byte key`); }
    try { vrfKey = fromHex(String(m.vrfKey)); } catch { return fail(`${at}.vrfKey must be hex`); }
    const multiaddrs = m.multiaddrs ?? [];
    if (!Array.isArray(multiaddrs) || !multiaddrs.every((a) => typeof a === 'string')) fail(`${at}.multiaddrs must be an array of strings`);
    if (m.httpUrl !== undefined) { try { new URL(String(m.httpUrl)); } catch { fail(`${at}.httpUrl is not a URL`); } }
    return { name: m.name as string, signingKey, vrfKey, multiaddrs: multiaddrs as string[], ...(m.peerId ? { peerId: String(m.peerId) } : {}), ...(m.httpUrl ? { httpUrl: String(m.httpUrl) } : {}) };
  });
  try { return makeCommittee(members, (d.params ?? {}) as Partial<ConsensusParams>, epoch as number); } catch (e) { return fail((e as Error).message); }
}

export function loadCommittee(file: string): Committee {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new CommitteeError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code})`); }
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { throw new CommitteeError(`${file}: invalid JSON`); }
  return parseCommittee(doc, file);
}

/** Proposer of (round, view): committee[(r + v) mod n]. */
export function proposerOf(c: Committee, round: bigint, view: number): number {
  return Number((round + BigInt(view)) % BigInt(c.n));
}

/** End of round r's epoch. */
export function epochEnd(c: Committee, round: bigint): number {
  return c.params.genesisMs + Number(round + 1n) * c.params.epochMs;
}
