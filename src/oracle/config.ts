// Oracle configuration: a JSON file (`splitup/oracle-config/v1`) plus
// environment overrides, validated with ajv; every problem is reported with
// its path. Relative paths resolve against the config file's directory.
import { Ajv } from 'ajv';
import { PRIORITY_POLICIES, type PriorityPolicy } from '../chain/priority.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_TIMING } from '../liveness/status.js';

export const CONFIG_VERSION = 'splitup/oracle-config/v1';

export interface OracleConfig {
  version: typeof CONFIG_VERSION;
  dataDir: string;
  keyFile: string;
  registryFile: string;
  /** nodesPerSecond: node views GET /api/nodes serves per second, all clients together (0: no limit). */
  http: { host: string; port: number; nodesPerSecond: number };
  heartbeat: {
    intervalMs: number;
    missedForOffline: number;
    graceMs: number;
    maxSkewMs: number;
    rateBurst: number;
    rateRefillMs: number;
    bodyLimit: number;
    ipRateLimitPerMinute: number;
    verifyWorkers: number;
    /** Open heartbeat streams (GET /api/heartbeat/stream) per source address; 0 leaves the route out. */
    streamsPerIp: number;
    /** A heartbeat stream without a message for this long is closed. */
    streamIdleMs: number;
    /** Open heartbeat streams in all. */
    maxStreams: number;
    /** fsync each group-committed batch before acknowledging (survives OS crash / power loss). */
    syncWrites: boolean;
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** Committee file (splitup/committee/v1); without it the oracle only tracks liveness locally. */
  committeeFile?: string;
  /** libp2p listen addresses; default: this oracle's multiaddrs in the committee file. */
  p2p: { listen?: string[] };
  /**
   * The chain: Solana JSON-RPC URL (the local validator or a real cluster) and the SplitUp
   * program id, and the committee's authority key (the on-chain committee's address is derived
   * from it). With it (and a committee) the oracle reads the node registry from the chain
   * and runs the chain loop (selection proofs, assignTask votes, timeouts, settlements).
   */
  chain?: { rpcUrl: string; programId: string; committeeAuthority: string; pollMs: number; subscribe: boolean; proofTimeoutMs: number; registryRefreshMs: number; priority: PriorityPolicy; maxSelectionsPerTick?: number };
  /** ECVRF implementation (src/vrf/ecvrf.ts): auto = the ref10 addon, else libsodium's public API (sodium-native), else pure JS — the first that loads. */
  vrf?: { implementation: 'auto' | 'ref10' | 'native' | 'noble' };
}

export const DEFAULT_HEARTBEAT: OracleConfig['heartbeat'] = {
  ...DEFAULT_TIMING,
  maxSkewMs: 10_000,
  rateBurst: 6,
  rateRefillMs: 5_000, // default: intervalMs / 6 (see resolveConfig)
  bodyLimit: 1024,
  ipRateLimitPerMinute: 6000,
  verifyWorkers: 0,
  streamsPerIp: 256,
  streamIdleMs: 120_000,
  maxStreams: 200_000,
  syncWrites: false,
};

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum: min, maximum: max });
const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'dataDir'],
  properties: {
    version: { const: CONFIG_VERSION },
    dataDir: { type: 'string', minLength: 1 },
    keyFile: { type: 'string', minLength: 1 },
    registryFile: { type: 'string', minLength: 1 },
    http: { type: 'object', additionalProperties: false, properties: { host: { type: 'string', minLength: 1 }, port: int(0, 65535), nodesPerSecond: int(0) } },
    heartbeat: {
      type: 'object',
      additionalProperties: false,
      properties: {
        intervalMs: int(10), missedForOffline: int(1, 100), graceMs: int(0), maxSkewMs: int(0), rateBurst: int(1, 1000), rateRefillMs: int(1),
        bodyLimit: int(256, 65536), ipRateLimitPerMinute: int(0), verifyWorkers: int(0, 64), streamsPerIp: int(0, 1_000_000), streamIdleMs: int(1000), maxStreams: int(1), syncWrites: { type: 'boolean' },
      },
    },
    log: { type: 'object', additionalProperties: false, properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] } } },
    committeeFile: { type: 'string', minLength: 1 },
    vrf: { type: 'object', additionalProperties: false, properties: { implementation: { enum: ['auto', 'ref10', 'native', 'noble'] } } },
    p2p: { type: 'object', additionalProperties: false, properties: { listen: { type: 'array', items: { type: 'string', pattern: '^/' } } } },
    chain: {
      type: 'object', additionalProperties: false, required: ['rpcUrl', 'programId', 'committeeAuthority'],
      properties: {
        rpcUrl: { type: 'string', pattern: '^https?://' }, programId: { type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$' },
        committeeAuthority: { type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$' },
        pollMs: int(10), proofTimeoutMs: int(100), registryRefreshMs: int(100), subscribe: { type: 'boolean' },
        priority: { enum: [...PRIORITY_POLICIES] }, maxSelectionsPerTick: int(1),
      },
    },
  },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) { super(`invalid oracle configuration:\n  - ${problems.join('\n  - ')}`); this.name = 'ConfigError'; }
}

const ajv = new Ajv({ allErrors: true, useDefaults: false });
const validate = ajv.compile(schema);

/** Environment variables that override the file (documented in the README). */
export const ENV_OVERRIDES: Record<string, (c: Record<string, any>, v: string) => void> = {
  SPLITUP_DATA_DIR: (c, v) => { c.dataDir = v; },
  SPLITUP_KEY_FILE: (c, v) => { c.keyFile = v; },
  SPLITUP_REGISTRY_FILE: (c, v) => { c.registryFile = v; },
  SPLITUP_HTTP_HOST: (c, v) => { (c.http ??= {}).host = v; },
  SPLITUP_HTTP_PORT: (c, v) => { (c.http ??= {}).port = Number(v); },
  SPLITUP_LOG_LEVEL: (c, v) => { (c.log ??= {}).level = v; },
  SPLITUP_VERIFY_WORKERS: (c, v) => { (c.heartbeat ??= {}).verifyWorkers = Number(v); },
  SPLITUP_HEARTBEAT_INTERVAL_MS: (c, v) => { (c.heartbeat ??= {}).intervalMs = Number(v); },
  SPLITUP_HEARTBEAT_SYNC: (c, v) => { (c.heartbeat ??= {}).syncWrites = v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : v; },
  SPLITUP_COMMITTEE_FILE: (c, v) => { c.committeeFile = v; },
  SPLITUP_P2P_LISTEN: (c, v) => { (c.p2p ??= {}).listen = v.split(',').map((x) => x.trim()).filter(Boolean); },
  SPLITUP_RPC_URL: (c, v) => { (c.chain ??= {}).rpcUrl = v; },
  SPLITUP_PROGRAM_ID: (c, v) => { (c.chain ??= {}).programId = v; },
  SPLITUP_COMMITTEE_AUTHORITY: (c, v) => { (c.chain ??= {}).committeeAuthority = v; },
  SPLITUP_VRF_IMPL: (c, v) => { (c.vrf ??= {}).implementation = v; },
};

export function resolveConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv = {}): OracleConfig {
  const c = structuredClone(raw ?? {}) as Record<string, any>;
  if (typeof c !== 'object' || Array.isArray(c)) throw new ConfigError(['the configuration must be a JSON object']);
  for (const [name, apply] of Object.entries(ENV_OVERRIDES)) if (env[name] !== undefined && env[name] !== '') apply(c, env[name]!);
  const candidate: unknown = c;
  if (!validate(candidate)) {
    throw new ConfigError((validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}${e.params && 'additionalProperty' in e.params ? ` ("${e.params.additionalProperty}")` : ''}`));
  }
  const dataDir = resolve(baseDir, c.dataDir);
  return {
    version: CONFIG_VERSION,
    dataDir,
    keyFile: resolve(baseDir, c.keyFile ?? resolve(dataDir, 'oracle-key.json')),
    registryFile: resolve(baseDir, c.registryFile ?? resolve(dataDir, 'registry.json')),
    http: { host: c.http?.host ?? '127.0.0.1', port: c.http?.port ?? 8080, nodesPerSecond: c.http?.nodesPerSecond ?? 20_000 },
    heartbeat: (() => {
      const hb = { ...DEFAULT_HEARTBEAT, ...(c.heartbeat ?? {}) };
      // the per-node bucket refills `rateBurst` tokens per heartbeat interval unless set explicitly
      if (c.heartbeat?.rateRefillMs === undefined) hb.rateRefillMs = Math.max(1, Math.floor(hb.intervalMs / hb.rateBurst));
      return hb;
    })(),
    log: { level: c.log?.level ?? 'info' },
    vrf: { implementation: c.vrf?.implementation ?? 'auto' },
    ...(c.committeeFile ? { committeeFile: resolve(baseDir, c.committeeFile) } : {}),
    p2p: { ...(c.p2p?.listen ? { listen: c.p2p.listen } : {}) },
    ...(c.chain ? { chain: { rpcUrl: c.chain.rpcUrl, programId: c.chain.programId, committeeAuthority: c.chain.committeeAuthority, pollMs: c.chain.pollMs ?? 250, subscribe: c.chain.subscribe ?? true, proofTimeoutMs: c.chain.proofTimeoutMs ?? 3000, registryRefreshMs: c.chain.registryRefreshMs ?? 2000, priority: c.chain.priority ?? 'critical-path', ...(c.chain.maxSelectionsPerTick ? { maxSelectionsPerTick: c.chain.maxSelectionsPerTick } : {}) } } : {}),
  };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): OracleConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new ConfigError([`cannot read ${file} (${(e as NodeJS.ErrnoException).code})`]); }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new ConfigError([`${file} is not valid JSON (${(e as Error).message})`]); }
  return resolveConfig(raw, dirname(resolve(file)), env);
}
