import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolveConfig, CONFIG_VERSION, type OracleConfig } from '../../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../../src/oracle/keys.js';
import { formatRegistry } from '../../src/registry/file-registry.js';
import type { TestNode } from './heartbeat.js';
import { waitFor } from './heartbeat.js';

export function tempDir(prefix = 'splitup-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes keys, registry and config for one oracle in `dir`; returns the config path and resolved config. */
export function makeOracleDir(dir: string, nodes: TestNode[], heartbeat: Record<string, number> = {}): { configFile: string; config: OracleConfig; registryFile: string } {
  writeOracleKeys(join(dir, 'oracle-key.json'), generateOracleKeys());
  const registryFile = join(dir, 'registry.json');
  writeFileSync(registryFile, formatRegistry(nodes.map((n) => ({ nodeId: n.nodeId, active: true, specializations: [1] }))));
  const raw = { version: CONFIG_VERSION, dataDir: '.', keyFile: 'oracle-key.json', registryFile: 'registry.json', http: { host: '127.0.0.1', port: 0 }, heartbeat, log: { level: 'warn' } };
  const configFile = join(dir, 'oracle.json');
  writeFileSync(configFile, JSON.stringify(raw));
  return { configFile, config: resolveConfig(raw, dir), registryFile };
}

/** Starts `bin/oracle.js start` as a child process and resolves with its URL once /readyz answers. */
export async function spawnOracle(configFile: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('../../bin/oracle.js', import.meta.url).pathname, 'start', '--config', configFile], {
    env: { ...process.env, SPLITUP_HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  // A bound on start-up, not a latency check: tsx compiles the oracle's modules as it starts, which
  // took over 20 s on a 2-core CI machine at load 12 (two test files at a time, a busy core).
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`oracle exited (${child.exitCode}): ${stderr}`);
    try { return (await fetch(`${url}/readyz`)).status === 200; } catch { return false; }
  }, 90_000, 50).catch((e: Error) => { child.kill('SIGKILL'); throw new Error(`oracle on ${url} not ready: ${e.message}; stderr: ${stderr.slice(-2000)}`); });
  return { child, url };
}

/**
 * A base port for `bin/local.js` (it binds base..base+n-1, base+100.., base+200) below the kernel's
 * ephemeral range, with every port it needs free right now. `lo..hi` keeps concurrent tests apart.
 */
export async function freeBasePort(lo: number, hi: number, n = 5): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = lo + 10 * Math.floor(Math.random() * ((hi - lo - 300) / 10));
    const ports = [...Array(n).keys()].flatMap((i) => [base + i, base + 100 + i]).concat(base + 200, base + 201, base + 202); // validator RPC + PubSub, CAS server
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error(`no free port block in ${lo}..${hi}`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

/** A free port in lo..hi (below the ephemeral range), for a child process that must be told its port. */
export async function freePort(lo = 30000, hi = 32700): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${lo}..${hi}`);
}
