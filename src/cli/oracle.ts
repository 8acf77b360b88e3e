// splitup-oracle: operator CLI of one oracle.
//   keygen --out FILE                 new oracle identity (0600)
//   init-config --data-dir DIR [--port N] [--host H] [--registry FILE] [--committee FILE] [--rpc URL --program-id ID --authority KEY] [--out FILE]
//   start --config FILE               run the oracle (SIGINT/SIGTERM: graceful stop)
//   status --url URL                  health, readiness and node counts of a running oracle
import { readFileSync, writeFileSync } from 'node:fs';
import { COMMITTEE_VERSION, COMMITTEE_VERSION_V2, parseCommittee } from '../consensus/committee.js';
import { memberEntry } from '../oracle/member.js';
import { readOracleKeys } from '../oracle/keys.js';
import { resolve } from 'node:path';
import { toBase58 } from '../common/bytes.js';
import { loadConfig, resolveConfig, CONFIG_VERSION } from '../oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../oracle/keys.js';
// The oracle itself (libp2p, fastify, the chain client, level) is imported by `start` alone:
// loading it costs ~1.5 s that keygen, member-info, committee-init and --help need not pay.
import { parse, runMain, usageFallback, UsageError } from './args.js';

const USAGE = `usage: splitup-oracle <command> [options]
  keygen --out FILE              create an oracle identity (signing, VRF, libp2p keys; mode 0600)
  init-config --data-dir DIR [--port N] [--host H] [--registry FILE] [--committee FILE]
              [--rpc URL --program-id ID --authority KEY] [--out FILE]
                                 write a config file with embedded defaults (validated)
  member-info --config FILE --p2p-addr MULTIADDR --http-url URL [--name NAME]
                                 print this oracle's committee entry (public keys, peer id, addresses)
  committee-init --members A.json,B.json,... [--epoch-ms N] --out FILE
  committee-init --members A.json,B.json,... --next-of CURRENT.json --out FILE
      the next epoch's committee file (a rotation): CURRENT's parameters, its epoch + 1
                                 assemble a committee file from member entries
  start --config FILE            run the oracle until SIGINT/SIGTERM
  status --url URL               print health, readiness and node liveness of a running oracle`;

async function main(): Promise<number | void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'keygen': {
      const { values } = parse(rest, { out: { type: 'string' }, force: { type: 'boolean' } });
      if (!values.out) throw new UsageError('keygen needs --out FILE');
      const keys = generateOracleKeys();
      writeOracleKeys(resolve(values.out), keys, { overwrite: !!values.force });
      console.log(JSON.stringify({ keyFile: resolve(values.out), signingPublicKey: toBase58(keys.signingPublicKey) }));
      return;
    }
    case 'init-config': {
      const { values } = parse(rest, {
        'data-dir': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, registry: { type: 'string' }, committee: { type: 'string' },
        rpc: { type: 'string' }, 'program-id': { type: 'string' }, authority: { type: 'string' }, out: { type: 'string' },
      });
      if (!values['data-dir']) throw new UsageError('init-config needs --data-dir DIR');
      if (!values.rpc !== !values['program-id'] || !values.rpc !== !values.authority) throw new UsageError('--rpc, --program-id and --authority (the committee authority public key) go together');
      const cfg = {
        version: CONFIG_VERSION, dataDir: values['data-dir'], ...(values.registry ? { registryFile: values.registry } : {}),
        http: { host: values.host ?? '127.0.0.1', port: Number(values.port ?? 8080) },
        ...(values.committee ? { committeeFile: values.committee } : {}),
        ...(values.rpc ? { chain: { rpcUrl: values.rpc, programId: values['program-id'], committeeAuthority: values.authority } } : {}),
      };
      resolveConfig(cfg, process.cwd()); // validated now: a bad value is reported here, not at start
      const text = JSON.stringify(cfg, null, 2) + '\n';
      if (values.out) writeFileSync(values.out, text); else process.stdout.write(text);
      return;
    }
    case 'member-info': {
      const { values } = parse(rest, { config: { type: 'string' }, 'p2p-addr': { type: 'string', multiple: true }, 'http-url': { type: 'string' }, name: { type: 'string' } });
      if (!values.config || !values['p2p-addr']?.length || !values['http-url']) throw new UsageError('member-info needs --config FILE, --p2p-addr MULTIADDR (repeatable) and --http-url URL');
      const cfg = loadConfig(values.config);
      const keys = readOracleKeys(cfg.keyFile);
      const { peerIdFromSeed } = await import('../p2p/peer-id.js');
      console.log(JSON.stringify(memberEntry(keys, values.name ?? `oracle-${toBase58(keys.signingPublicKey).slice(0, 6)}`, values['p2p-addr'], values['http-url'], await peerIdFromSeed(keys.libp2pSeed)), null, 2));
      return;
    }
    case 'committee-init': {
      const { values } = parse(rest, { members: { type: 'string' }, 'epoch-ms': { type: 'string' }, out: { type: 'string' }, 'next-of': { type: 'string' } });
      if (!values.members || !values.out) throw new UsageError('committee-init needs --members A.json,B.json,... and --out FILE');
      const members = values.members.split(',').map((f) => JSON.parse(readFileSync(f.trim(), 'utf8')));
      const epochMs = Number(values['epoch-ms'] ?? 30_000);
      let doc: object;
      if (values['next-of']) {
        // a rotation: the current parameters and the next epoch; its consensus is new (another
        // committee id), so its rounds count from now (a genesis in the past would make it run
        // every round since then before reaching the present)
        if (values['epoch-ms']) throw new UsageError('--next-of keeps the current parameters: no --epoch-ms');
        const current = JSON.parse(readFileSync(values['next-of'], 'utf8')) as { params?: object };
        const cur = parseCommittee(current, values['next-of']);
        doc = { version: COMMITTEE_VERSION_V2, epoch: cur.epoch + 1, params: { ...(current.params ?? {}), genesisMs: Date.now() - (Date.now() % cur.params.epochMs) }, members };
      } else {
        // rounds are numbered from the committee's creation: round 0 ends one epoch from now
        doc = { version: COMMITTEE_VERSION, params: { epochMs, genesisMs: Date.now() - (Date.now() % epochMs) }, members };
      }
      const committee = parseCommittee(doc, values.out); // validates before writing
      writeFileSync(values.out, JSON.stringify(doc, null, 2) + '\n');
      console.log(JSON.stringify({ committeeFile: resolve(values.out), epoch: committee.epoch, n: committee.n, f: committee.f, q: committee.q, committeeId: Buffer.from(committee.id).toString('hex') }));
      return;
    }
    case 'start': {
      const { values } = parse(rest, { config: { type: 'string' } });
      if (!values.config) throw new UsageError('start needs --config FILE');
      const { Oracle } = await import('../oracle/oracle.js');
      const oracle = await Oracle.start(loadConfig(values.config));
      const stop = (sig: string) => {
        oracle.app.log.info({ signal: sig }, 'shutting down');
        oracle.close().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGHUP', () => { const err = oracle.registry.reload(); oracle.app.log.info({ ok: !err }, 'registry reloaded'); });
      return;
    }
    case 'status': {
      const { values } = parse(rest, { url: { type: 'string' } });
      if (!values.url) throw new UsageError('status needs --url URL');
      const get = async (p: string) => { const r = await fetch(new URL(p, values.url)); return { status: r.status, body: await r.json() as any }; };
      const [health, ready, latest] = await Promise.all([get('/healthz'), get('/readyz'), get('/api/liveness/latest').catch(() => null)]);
      const counts: Record<string, number> = {};
      // every page of the node list (10,000 per request)
      for (let after: string | null = null, pages = 0; pages === 0 || after !== null; pages++) {
        const page: { body: { nodes: Array<{ status: string }>; nextCursor: string | null } } = await get(`/api/nodes?limit=10000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        for (const n of page.body.nodes) counts[n.status] = (counts[n.status] ?? 0) + 1;
        after = page.body.nextCursor;
      }
      const consensus = latest && latest.status === 200 ? { committedRound: latest.body.round, tableHash: latest.body.tableHash, online: latest.body.entries.filter((e: { status: string }) => e.status === 'online').length } : null;
      console.log(JSON.stringify({ url: values.url, healthy: health.status === 200, ready: ready.status === 200, ...(ready.status !== 200 ? { problems: ready.body.problems } : {}), nodes: counts, consensus }, null, 2));
      return ready.status === 200 ? 0 : 1;
    }
    default:
      return usageFallback(cmd, USAGE);
  }
}

await runMain(main, { usage: USAGE, portHint: 'change http.port in the oracle config (HTTP) or this member\'s p2p address in the committee file (libp2p), or stop the other process' });
