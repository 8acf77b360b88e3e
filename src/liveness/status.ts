// The liveness rule of PROTOCOL §2, shared by the tracker (what an oracle
// believes) and by consensus validity checks (what a proposal may claim):
//   online  while the newest accepted heartbeat is at most one interval (+ grace) old,
//   suspect after one or two missed intervals,
//   offline after `missedForOffline` (default 3) missed intervals, or if never seen.
import type { LivenessStatus } from './table.js';

export interface LivenessTiming {
  /** Heartbeat interval in ms (default 30 000). */
  intervalMs: number;
  /** Missed intervals after which a node is offline (default 3). */
  missedForOffline: number;
  /** Tolerance for network delay and clock skew, in ms (default 2 000). */
  graceMs: number;
}

export const DEFAULT_TIMING: LivenessTiming = { intervalMs: 30_000, missedForOffline: 3, graceMs: 2_000 };

export function statusAt(lastSeen: number, now: number, timing: LivenessTiming = DEFAULT_TIMING): LivenessStatus {
  if (lastSeen <= 0) return 'offline';
  const age = now - lastSeen;
  if (age <= timing.intervalMs + timing.graceMs) return 'online';
  if (age <= timing.missedForOffline * timing.intervalMs + timing.graceMs) return 'suspect';
  return 'offline';
}
