// splitup-oracle: operator CLI of one oracle.
//   keygen --out FILE                 new oracle identity (0600)
//   init-config --data-dir DIR [--port N] [--registry FILE] [--out FILE]
//   start --config FILE               run the oracle (SIGINT/SIGTERM: graceful stop)
//   status --url URL                  health, readiness and node counts of a running oracle
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { toBase58 } from '../common/bytes.js';
import { loadConfig, CONFIG_VERSION } from '../oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../oracle/keys.js';
import { Oracle } from '../oracle/oracle.js';
import { parse, runMain, UsageError } from './args.js';

const USAGE = `usage: splitup-oracle <command> [options]
  keygen --out FILE              create an oracle identity (signing, VRF, libp2p keys; mode 0600)
  init-config --data-dir DIR [--port N] [--registry FILE] [--out FILE]
                                 write a config file with embedded defaults
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
      const { values } = parse(rest, { 'data-dir': { type: 'string' }, port: { type: 'string' }, registry: { type: 'string' }, out: { type: 'string' } });
      if (!values['data-dir']) throw new UsageError('init-config needs --data-dir DIR');
      const cfg = { version: CONFIG_VERSION, dataDir: values['data-dir'], ...(values.registry ? { registryFile: values.registry } : {}), http: { host: '127.0.0.1', port: Number(values.port ?? 8080) } };
      const text = JSON.stringify(cfg, null, 2) + '\n';
      if (values.out) writeFileSync(values.out, text); else process.stdout.write(text);
      return;
    }
    case 'start': {
      const { values } = parse(rest, { config: { type: 'string' } });
      if (!values.config) throw new UsageError('start needs --config FILE');
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
      const [health, ready, nodes] = await Promise.all([get('/healthz'), get('/readyz'), get('/api/nodes')]);
      const counts: Record<string, number> = {};
      for (const n of nodes.body.nodes) counts[n.status] = (counts[n.status] ?? 0) + 1;
      console.log(JSON.stringify({ url: values.url, healthy: health.status === 200, ready: ready.status === 200, ...(ready.status !== 200 ? { problems: ready.body.problems } : {}), nodes: counts }, null, 2));
      return ready.status === 200 ? 0 : 1;
    }
    case undefined: case 'help': case '--help': case '-h':
      console.log(USAGE);
      return cmd ? 0 : 2;
    default:
      throw new UsageError(`unknown command "${cmd}"\n${USAGE}`);
  }
}

await runMain(main);
