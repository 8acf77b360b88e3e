// Prometheus metrics (prom-client). One registry per oracle process; other
// components register their own metrics on `registry`.
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Verifier } from '../liveness/tracker.js';

export class OracleMetrics {
  readonly registry = new Registry();
  readonly heartbeatsAccepted = new Counter({ name: 'splitup_heartbeats_accepted_total', help: 'Heartbeats accepted', registers: [this.registry] });
  readonly heartbeatsRejected = new Counter({ name: 'splitup_heartbeats_rejected_total', help: 'Heartbeats rejected, by code', labelNames: ['code'], registers: [this.registry] });
  readonly verifySeconds = new Histogram({
    name: 'splitup_heartbeat_verify_seconds',
    help: 'Time to verify one heartbeat signature (including worker queueing when a pool is used)',
    buckets: [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly nodesByStatus = new Gauge({ name: 'splitup_nodes', help: 'Registered nodes by liveness status', labelNames: ['status'], registers: [this.registry] });

  readonly roundsCommitted = new Counter({ name: 'splitup_consensus_commits_total', help: 'Liveness rounds committed by this oracle', registers: [this.registry] });
  readonly chainActions = new Counter({ name: 'splitup_chain_actions_total', help: 'Chain loop actions: selection proofs published, assignTask votes sent, timeouts and settlements called, proofs rejected, requests with no eligible node, requests of another committee epoch left alone', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly committedRound = new Gauge({ name: 'splitup_consensus_committed_round', help: 'Latest committed liveness round', registers: [this.registry] });
  readonly commitLatency = new Histogram({
    name: 'splitup_consensus_commit_latency_seconds',
    help: 'Commit time minus the end of the round epoch',
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly consensusView = new Gauge({ name: 'splitup_consensus_view', help: 'Current view within the current round', registers: [this.registry] });
  readonly consensusVoting = new Gauge({ name: 'splitup_consensus_voting', help: '1 while this oracle takes part in consensus; 0 while its store has failed (out of voting)', registers: [this.registry] });
  readonly consensusStoreFailures = new Counter({ name: 'splitup_consensus_store_failures_total', help: 'Consensus store writes that failed (each takes the oracle out of voting until a probe write succeeds)', registers: [this.registry] });
  readonly consensusEvidence = new Counter({ name: 'splitup_consensus_equivocations_total', help: 'Equivocations seen: a member signed two different messages for one (round, view, kind); both are kept (GET /api/liveness/evidence)', labelNames: ['member'] as const, registers: [this.registry] });
  readonly consensusKnownHead = new Gauge({ name: 'splitup_consensus_known_head_round', help: 'Highest round known to be certified by the committee (above the committed round while catching up)', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) {
      // prom-client's names already say process_/nodejs_: the prefix is splitup_ alone
      collectDefaultMetrics({ register: this.registry, prefix: 'splitup_' });
      // prom-client exports these three totals as gauges named *_total, which the exposition
      // format reserves for counters (promtool check metrics rejects them); each is the sum of
      // its per-type gauge (splitup_nodejs_active_{handles,requests,resources}{type}), kept.
      for (const n of ['handles', 'requests', 'resources']) this.registry.removeSingleMetric(`splitup_nodejs_active_${n}_total`);
    }
  }

  /** Wraps a verifier so each call is timed; a synchronous verifier stays synchronous (no promise per heartbeat). */
  timedVerifier(inner: Verifier): Verifier {
    const hist = this.verifySeconds;
    return (h, key) => {
      const t0 = performance.now();
      const r = inner(h, key);
      if (typeof r === 'boolean') { hist.observe((performance.now() - t0) / 1000); return r; }
      return r.finally(() => hist.observe((performance.now() - t0) / 1000));
    };
  }
}
