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

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'splitup_process_' });
  }

  /** Wraps a verifier so each call is timed. */
  timedVerifier(inner: Verifier): Verifier {
    return async (h, key) => {
      const end = this.verifySeconds.startTimer();
      try { return await inner(h, key); } finally { end(); }
    };
  }
}
