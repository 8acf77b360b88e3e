// The consensus CandidateSource of a running oracle: its liveness tracker's
// newest accepted heartbeats, each with the node-signed evidence in the
// compact form consensus messages carry (canonical bytes ‖ signature).
import { fromBase58, fromHex } from '../common/bytes.js';
import type { CandidateSource, HeartbeatCandidate } from '../consensus/validity.js';
import { heartbeatFromJson, heartbeatSigningBytes } from '../liveness/heartbeat-codec.js';
import type { LivenessTracker } from '../liveness/tracker.js';
import type { NodeRegistry } from '../registry/registry.js';
import { toBase58 } from '../common/bytes.js';

export function trackerSource(tracker: LivenessTracker, registry: NodeRegistry): CandidateSource {
  const cache = new Map<string, HeartbeatCandidate>(); // nodeId → candidate of its newest seq
  return {
    candidates() {
      const out: HeartbeatCandidate[] = [];
      for (const [nodeId, rec] of tracker.allRecords()) {
        let c = cache.get(nodeId);
        if (!c || c.lastSeq !== rec.lastSeq) {
          const key = fromBase58(nodeId, 32);
          const bytes = heartbeatSigningBytes(heartbeatFromJson(rec.heartbeat.payload), key);
          c = { nodeId: key, lastSeen: rec.lastSeen, lastSeq: rec.lastSeq, evidence: { bytes, sig: fromHex(rec.heartbeat.signature) } };
          cache.set(nodeId, c);
        }
        out.push(c);
      }
      return out;
    },
    isRegistered: (id) => registry.get(toBase58(id)) !== undefined,
  };
}
