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
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [new URL('../../bin/oracle.js', import.meta.url).pathname, 'start', '--config', configFile], {
    env: { ...process.env, SPLITUP_HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`oracle exited (${child.exitCode}): ${stderr}`);
    try { return (await fetch(`${url}/readyz`)).status === 200; } catch { return false; }
  }, 20_000, 50);
  return { child, url };
}
