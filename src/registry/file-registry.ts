// A registry file operators can maintain by hand: the allowlist of compute
// nodes. Format `splitup/registry/v1`:
//   { "version": "splitup/registry/v1",
//     "nodes": [ { "nodeId": "<base58>", "active": true, "specializations": [1, 2], "vramMb": 24576 } ] }
// The file is re-read on change (fs.watchFile polling, robust to editors that
// replace the file) and on reload(); a file that fails validation is reported
// and the previous snapshot stays in force.
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import { fromBase58 } from '../common/bytes.js';
import { StaticRegistry, type RegisteredNode } from './registry.js';

export const REGISTRY_VERSION = 'splitup/registry/v1';

export class RegistryFileError extends Error {
  constructor(readonly file: string, message: string) { super(`${file}: ${message}`); this.name = 'RegistryFileError'; }
}

export function parseRegistry(text: string, file = '<registry>'): RegisteredNode[] {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { throw new RegistryFileError(file, `invalid JSON (${(e as Error).message})`); }
  if (typeof doc !== 'object' || doc === null) throw new RegistryFileError(file, 'must be a JSON object');
  const d = doc as { version?: unknown; nodes?: unknown };
  if (d.version !== REGISTRY_VERSION) throw new RegistryFileError(file, `version must be "${REGISTRY_VERSION}"`);
  if (!Array.isArray(d.nodes)) throw new RegistryFileError(file, 'nodes must be an array');
  const seen = new Set<string>();
  return d.nodes.map((n: unknown, i: number) => {
    const where = `nodes[${i}]`;
    if (typeof n !== 'object' || n === null) throw new RegistryFileError(file, `${where} must be an object`);
    const { nodeId, active, specializations, vramMb } = n as Record<string, unknown>;
    if (typeof nodeId !== 'string') throw new RegistryFileError(file, `${where}.nodeId must be a base58 string`);
    try { fromBase58(nodeId, 32); } catch { throw new RegistryFileError(file, `${where}.nodeId is not a 32-byte base58 public key`); }
    if (seen.has(nodeId)) throw new RegistryFileError(file, `${where}.nodeId duplicates an earlier entry`);
    seen.add(nodeId);
    if (active !== undefined && typeof active !== 'boolean') throw new RegistryFileError(file, `${where}.active must be a boolean`);
    const specs = specializations ?? [];
    if (!Array.isArray(specs) || !specs.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff)) throw new RegistryFileError(file, `${where}.specializations must be an array of u32 taskIds`);
    if (vramMb !== undefined && !(Number.isInteger(vramMb) && (vramMb as number) >= 0)) throw new RegistryFileError(file, `${where}.vramMb must be a non-negative integer`);
    return { nodeId, active: active ?? true, specializations: specs as number[], ...(vramMb !== undefined ? { vramMb: vramMb as number } : {}) };
  });
}

export function formatRegistry(nodes: RegisteredNode[]): string {
  return JSON.stringify({ version: REGISTRY_VERSION, nodes }, null, 2) + '\n';
}

export class FileRegistry extends StaticRegistry {
  private watching = false;
  constructor(readonly file: string, private readonly onError: (e: Error) => void = () => {}) {
    super(parseRegistry(readFileSync(file, 'utf8'), file));
  }
  /** Re-reads the file; keeps the old snapshot and returns the error if invalid. */
  reload(): Error | undefined {
    try {
      this.replace(parseRegistry(readFileSync(this.file, 'utf8'), this.file));
      return undefined;
    } catch (e) {
      this.onError(e as Error);
      return e as Error;
    }
  }
  watch(intervalMs = 1000): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.file, { interval: intervalMs, persistent: false }, () => this.reload());
  }
  close(): void {
    if (this.watching) unwatchFile(this.file);
    this.watching = false;
  }
}
