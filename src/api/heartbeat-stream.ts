// GET /api/heartbeat/stream — signed heartbeats over one long-lived WebSocket per node.
//
// Each text message is one SignedHeartbeatData (the JSON body of POST /api/heartbeat); each is
// judged exactly as that route judges it (the same schema, then the tracker's checks) and answered
// by one text message, in the order received: the POST route's response body, accepted or rejected
// with the same machine-readable code. A node keeps the connection open between heartbeats.
//
// Why a second transport: an HTTP request costs the server 36–42 µs of CPU before any heartbeat
// logic (node:http's parser and response; fastify adds ~5 µs; measured with wrk on 127.0.0.1),
// about as much as the signature check itself (libsodium 49 µs). A WebSocket message costs ~15 µs,
// so intake per CPU-second rises from ~0.45 to ~0.9 of a raw node:crypto verify (bench/heartbeat.ts).
//
// Bounds against a hostile client: the message size is the POST route's body limit (a larger frame
// closes the connection with 1009), at most `maxInFlight` heartbeats of one connection are being
// judged at once (reading from its socket pauses beyond that), a connection silent for `idleMs` is
// closed (1001), a client that leaves more than `maxBufferedBytes` of answers unread is closed
// (1008), at most `maxPerIp` connections per source address (more are refused at upgrade with 429
// TOO_MANY_STREAMS) and `maxTotal` in all (503 STREAMS_FULL), and a source address's messages, all its streams together, are held
// to the POST route's per-IP rate (answered IP_RATE_LIMITED beyond it, the connection kept). Binary
// frames are MALFORMED.
import type { FastifyPluginAsync } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import type { HeartbeatAnswer, HeartbeatIntake } from './intake.js';
import { TokenBucket } from './token-bucket.js';

export interface HeartbeatStreamOptions {
  /** The POST routes' judgement and answers. */
  intake: HeartbeatIntake;
  clock: Clock;
  /** Where the open-streams gauge is registered. */
  registry: Registry;
  /** Largest message in bytes (the POST route's body limit). */
  maxMessageBytes: number;
  /** Per-source-IP messages per minute, all its connections together (0: no limit). */
  ipRatePerMinute: number;
  /** Open connections per source IP (default 256). */
  maxPerIp?: number;
  /** Open connections in all (default 200 000); beyond it upgrades are refused with 503 STREAMS_FULL. */
  maxTotal?: number;
  /** Answers buffered unread by the client beyond which its stream is closed (1008), in bytes (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Heartbeats of one connection being judged at once before its reading pauses (default 64). */
  maxInFlight?: number;
  /** A connection without a message for this long is closed (default 120 000 ms: four 30 s intervals). */
  idleMs?: number;
}

export const STREAM_PATH = '/api/heartbeat/stream';

export function heartbeatStream(o: HeartbeatStreamOptions): FastifyPluginAsync {
  return async (app) => {
    const { intake, clock } = o;
    const maxPerIp = o.maxPerIp ?? 256, maxInFlight = o.maxInFlight ?? 64, idleMs = o.idleMs ?? 120_000;
    const maxTotal = o.maxTotal ?? 200_000, maxBuffered = o.maxBufferedBytes ?? 1024 * 1024;
    // each source address's messages, all its streams together: a token bucket per address
    const budgets = new Map<string, TokenBucket>();
    const withinBudget = (ip: string, now: number): boolean => {
      if (o.ipRatePerMinute <= 0) return true;
      let b = budgets.get(ip);
      if (!b) budgets.set(ip, (b = new TokenBucket(o.ipRatePerMinute / 60, o.ipRatePerMinute)));
      return b.take(1, now) === 0;
    };
    const perIp = new Map<string, number>();
    const open = new Set<{ ws: WebSocket; lastAt: number }>();
    new Gauge({ name: 'splitup_heartbeat_streams', help: 'Open heartbeat streams (GET /api/heartbeat/stream)', registers: [o.registry], collect() { this.set(open.size); } });
    const refuse = (code: string, message: string): HeartbeatAnswer => intake.answer({ ok: false, code, message });

    // idle connections closed; the per-IP buckets of quiet sources dropped
    const sweep = setInterval(() => {
      const now = clock.now();
      for (const c of open) if (now - c.lastAt > idleMs) c.ws.close(1001, 'idle');
      for (const [ip, b] of budgets) if (b.full(now)) budgets.delete(ip);
    }, Math.max(1000, Math.min(idleMs / 4, 30_000)));
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));

    await app.register(websocket, { options: { maxPayload: o.maxMessageBytes, perMessageDeflate: false } });

    // wsHandler (not `websocket: true`, which @fastify/websocket hides from the OpenAPI document):
    // a plain GET gets a 426 that says how to use the route
    app.route({
      method: 'GET',
      url: STREAM_PATH,
      handler: async (_req, reply) => reply.code(426).header('upgrade', 'websocket').send({ success: false, code: 'UPGRADE_REQUIRED', message: `${STREAM_PATH} is a WebSocket: send Upgrade: websocket`, timestamp: clock.now(), status: 'rejected' }),
      // the upgrade request is refused (as JSON) before the socket is taken over when the source has too many streams
      preValidation: async (req, reply) => {
        if (open.size >= maxTotal) {
          return reply.code(503).send({ success: false, code: 'STREAMS_FULL', message: `this oracle has its maximum of ${maxTotal} heartbeat streams open; POST /api/heartbeat instead`, timestamp: clock.now(), status: 'rejected' });
        }
        if ((perIp.get(req.ip) ?? 0) >= maxPerIp) {
          return reply.code(429).send({ success: false, code: 'TOO_MANY_STREAMS', message: `at most ${maxPerIp} heartbeat streams per source address`, timestamp: clock.now(), status: 'rejected' });
        }
      },
      schema: {
        summary: 'Heartbeat stream (WebSocket): one SignedHeartbeatData per text message, one answer per message in order',
        description: 'Upgrade to a WebSocket. Send each signed heartbeat as a text message with the body POST /api/heartbeat takes; '
          + 'each is answered by one text message, in order: the body POST /api/heartbeat answers (success, status, seq; or code and message). '
          + `Messages over the heartbeat body limit close the connection (1009); a connection silent for ${idleMs} ms is closed (1001).`,
        response: {
          101: { description: 'Switching Protocols: the WebSocket is open' },
          426: { $ref: 'Error#', description: 'UPGRADE_REQUIRED: a plain GET; the route only serves WebSocket upgrades' },
          429: { $ref: 'Error#', description: 'TOO_MANY_STREAMS: this source address has the maximum number of open streams' },
          503: { $ref: 'Error#', description: 'STREAMS_FULL: the oracle has its maximum number of open streams' },
        },
      },
      wsHandler: (socket, req) => {
        const ip = req.ip;
        perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
        const conn = { ws: socket, lastAt: clock.now() };
        open.add(conn);
        socket.on('close', () => {
          open.delete(conn);
          const n = (perIp.get(ip) ?? 1) - 1;
          if (n <= 0) perIp.delete(ip); else perIp.set(ip, n);
        });
        socket.on('error', () => socket.terminate());
        // upgrades checked together before any of them opened can pass the check above: counted
        // again here, the ones over a cap are closed at once (1013 Try Again Later)
        if (perIp.get(ip)! > maxPerIp || open.size > maxTotal) { socket.close(1013, 'too many heartbeat streams'); return; }
        // answers leave in the order messages came in, whatever order their checks finish in
        const queue: Array<{ answer: HeartbeatAnswer | null }> = [];
        let paused = false;
        // Answers that become ready together (a group commit acknowledges many heartbeats at once)
        // leave in one write: the TCP socket under the WebSocket is corked at the first and uncorked
        // once the microtasks now queued have run. (`_socket` is ws's own field for it; without it,
        // each answer is its own write, as before.)
        const tcp = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
        let corked = false;
        const uncork = () => { corked = false; tcp!.uncork(); };
        const flush = () => {
          while (queue.length > 0 && queue[0]!.answer) {
            const a = queue.shift()!.answer!;
            if (socket.readyState !== socket.OPEN) continue;
            if (!corked && tcp && typeof tcp.cork === 'function') { corked = true; tcp.cork(); process.nextTick(uncork); }
            socket.send(JSON.stringify(a));
          }
          if (paused && queue.length < maxInFlight) { paused = false; socket.resume(); }
        };
        socket.on('message', (data, isBinary) => {
          // a client that sends but does not read its answers is cut off before they pile up here
          if (socket.bufferedAmount > maxBuffered) { socket.close(1008, 'answers not read'); return; }
          const now = clock.now();
          conn.lastAt = now;
          const slot: { answer: HeartbeatAnswer | null } = { answer: null };
          queue.push(slot);
          if (queue.length >= maxInFlight && !paused) { paused = true; socket.pause(); }
          const done = (a: HeartbeatAnswer) => { slot.answer = a; flush(); };
          if (!withinBudget(ip, now)) return done(refuse('IP_RATE_LIMITED', `more than ${o.ipRatePerMinute} heartbeats per minute from this address`));
          if (isBinary) return done(refuse('MALFORMED', 'heartbeats are text messages (JSON)'));
          let body: unknown;
          try { body = JSON.parse((data as Buffer).toString('utf8')); } catch { return done(refuse('MALFORMED', 'message is not JSON')); }
          intake.judge(body).then((r) => intake.answer(r), (e: Error) => refuse('INTERNAL', e.message)).then(done);
        });
      },
    });
  };
}
