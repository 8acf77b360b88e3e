// The consensus LivenessSource of a running oracle: its liveness tracker's
// newest accepted heartbeats, seen through the committed roster (attestation
// bits) and its node registry (roster additions).
import { compareBytes, fromBase58, toBase58 } from '../common/bytes.js';
import type { LivenessSource } from '../consensus/validity.js';
import type { TableEntry } from '../liveness/table.js';
import type { LivenessTracker } from '../liveness/tracker.js';
import type { NodeRegistry } from '../registry/registry.js';

export function trackerSource(tracker: LivenessTracker, registry: NodeRegistry): LivenessSource {
  // base58 ids per roster key object: table entries keep their nodeId arrays from round to round,
  // so a 100,000-node roster is encoded once, not every round
  const ids = new WeakMap<Uint8Array, string>();
  const idOf = (key: Uint8Array) => { let s = ids.get(key); if (s === undefined) { s = toBase58(key); ids.set(key, s); } return s; };
  const rosterSets = new WeakMap<readonly TableEntry[], Set<string>>();
  return {
    attest(roster, since) {
      const bits = new Uint8Array((roster.length + 7) >> 3);
      for (let i = 0; i < roster.length; i++) {
        const rec = tracker.record(idOf(roster[i]!.nodeId));
        if (rec && rec.lastSeen >= since) bits[i >> 3]! |= 0x80 >> (i & 7);
      }
      return bits;
    },
    newcomers(roster, since, max) {
      let inRoster = rosterSets.get(roster);
      if (!inRoster) { inRoster = new Set(roster.map((e) => idOf(e.nodeId))); rosterSets.set(roster, inRoster); }
      const out: Uint8Array[] = [];
      for (const [nodeId, rec] of tracker.allRecords()) {
        if (rec.lastSeen < since || inRoster.has(nodeId) || !registry.get(nodeId)) continue;
        out.push(fromBase58(nodeId, 32));
      }
      return out.sort(compareBytes).slice(0, max);
    },
    isRegistered: (id) => registry.get(toBase58(id)) !== undefined,
  };
}
