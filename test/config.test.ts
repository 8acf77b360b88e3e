import t from 'tap';
import { statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, loadConfig, ConfigError, CONFIG_VERSION } from '../src/oracle/config.js';
import { generateOracleKeys, readOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { tempDir } from './helpers/oracle.js';

t.test('config defaults, env overrides and validation errors', async (t) => {
  const c = resolveConfig({ version: CONFIG_VERSION, dataDir: 'd' }, '/srv');
  t.equal(c.dataDir, '/srv/d');
  t.equal(c.keyFile, '/srv/d/oracle-key.json');
  t.same(c.http, { host: '127.0.0.1', port: 8080, nodesPerSecond: 20_000 });
  t.equal(c.heartbeat.intervalMs, 30_000);
  t.equal(c.heartbeat.rateRefillMs, 5_000, 'bucket refills rateBurst tokens per interval');
  const e = resolveConfig({ version: CONFIG_VERSION, dataDir: 'd' }, '/srv', { SPLITUP_HTTP_PORT: '9001', SPLITUP_DATA_DIR: '/var/x', SPLITUP_VERIFY_WORKERS: '2' });
  t.equal(e.http.port, 9001);
  t.equal(e.dataDir, '/var/x');
  t.equal(e.heartbeat.verifyWorkers, 2);
  t.equal(c.heartbeat.syncWrites, false, 'acks without fsync by default');
  t.equal(resolveConfig({ version: CONFIG_VERSION, dataDir: 'd', heartbeat: { syncWrites: true } }, '/srv').heartbeat.syncWrites, true);
  t.equal(resolveConfig({ version: CONFIG_VERSION, dataDir: 'd' }, '/srv', { SPLITUP_HEARTBEAT_SYNC: '1' }).heartbeat.syncWrites, true);
  t.throws(() => resolveConfig({ version: CONFIG_VERSION, dataDir: 'd' }, '/srv', { SPLITUP_HEARTBEAT_SYNC: 'yes' }), /syncWrites must be boolean/);
  const err = t.throws(() => resolveConfig({ version: 'v0', dataDir: '', http: { port: 70000 }, bogus: 1 }, '/srv')) as ConfigError;
  t.type(err, ConfigError);
  t.match(err.message, /\/version/);
  t.match(err.message, /\/http\/port must be <= 65535/);
  t.match(err.message, /"bogus"/);
  t.throws(() => resolveConfig({ version: CONFIG_VERSION, dataDir: 'd' }, '/srv', { SPLITUP_HTTP_PORT: 'abc' }), /http\/port/);
  t.throws(() => loadConfig('/nonexistent/oracle.json'), /cannot read/);
});

t.test('chain loop order: critical-path by default, fifo on request, a bad value named', async (t) => {
  const chain = { rpcUrl: 'http://127.0.0.1:8899', programId: '11111111111111111111111111111111', committeeAuthority: '11111111111111111111111111111111' };
  const c = resolveConfig({ version: CONFIG_VERSION, dataDir: 'd', chain }, '/srv');
  t.equal(c.chain!.priority, 'critical-path');
  t.equal(c.chain!.maxSelectionsPerTick, undefined, 'no per-tick bound unless set');
  const f = resolveConfig({ version: CONFIG_VERSION, dataDir: 'd', chain: { ...chain, priority: 'fifo', maxSelectionsPerTick: 8 } }, '/srv');
  t.equal(f.chain!.priority, 'fifo');
  t.equal(f.chain!.maxSelectionsPerTick, 8);
  const err = t.throws(() => resolveConfig({ version: CONFIG_VERSION, dataDir: 'd', chain: { ...chain, priority: 'longest', maxSelectionsPerTick: 0 } }, '/srv')) as ConfigError;
  t.match(err.message, /\/chain\/priority must be equal to one of the allowed values/);
  t.match(err.message, /\/chain\/maxSelectionsPerTick must be >= 1/);
});

t.test('oracle key files: 0600, no overwrite, loud on bad permissions', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const f = join(dir, 'k.json');
  const k = generateOracleKeys();
  writeOracleKeys(f, k);
  t.equal(statSync(f).mode & 0o777, 0o600);
  t.same(readOracleKeys(f).signingPublicKey, k.signingPublicKey);
  t.throws(() => writeOracleKeys(f, generateOracleKeys()), /refusing to overwrite/);
  chmodSync(f, 0o644);
  t.throws(() => readOracleKeys(f), /too open/);
  chmodSync(f, 0o600);
  writeFileSync(f, '{"version":"splitup/oracle-keys/v1","signing":{"secretKey":"00"}}', { mode: 0o600 });
  t.throws(() => readOracleKeys(f), /signing.secretKey must be 32 bytes/);
});

t.test('vrf.implementation: default auto, file and SPLITUP_VRF_IMPL select it, unknown names rejected', async (t) => {
  const base = { version: CONFIG_VERSION, dataDir: '/tmp/x' };
  t.same(resolveConfig(base, '/').vrf, { implementation: 'auto' });
  t.same(resolveConfig({ ...base, vrf: { implementation: 'noble' } }, '/').vrf, { implementation: 'noble' });
  t.same(resolveConfig(base, '/', { SPLITUP_VRF_IMPL: 'native' }).vrf, { implementation: 'native' });
  t.throws(() => resolveConfig({ ...base, vrf: { implementation: 'fast' } }, '/'), ConfigError);
});
