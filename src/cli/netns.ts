// Network namespaces for `npm start -- --netns`: the committee (validator, oracles, CAS server) in
// one namespace, each compute node in a namespace of its own, joined to the committee's by a veth
// pair (node i: 10.91.i.2 ↔ 10.91.i.1 on the committee's side). A node then reaches the committee
// only over that link, as another machine would, and shares tensors only through the CAS server.
// Linux, as root, with iproute2's `ip`. Every name carries a random tag, so two runs never collide,
// and teardown deletes the namespaces (their veth ends go with them).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsTopology {
  core: string;
  nodes: Array<{ ns: string; coreAddr: string; nodeAddr: string }>;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** Why --netns cannot run here, or null. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, or drop --netns)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `iproute2's ip is not usable: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}

export function createTopology(nodes: number): NetnsTopology {
  if (nodes < 1 || nodes > 250) throw new RangeError('1..250 nodes');
  const tag = randomBytes(3).toString('hex');
  const topo: NetnsTopology = { core: `splitup-core-${tag}`, nodes: [] };
  try {
    ip(['netns', 'add', topo.core]);
    ip(['-n', topo.core, 'link', 'set', 'lo', 'up']);
    for (let i = 1; i <= nodes; i++) {
      const ns = `splitup-n${i}-${tag}`, c = `su${tag}c${i}`, n = `su${tag}n${i}`; // interface names ≤ 15 bytes
      const node = { ns, coreAddr: `10.91.${i}.1`, nodeAddr: `10.91.${i}.2` };
      ip(['netns', 'add', ns]);
      topo.nodes.push(node);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['link', 'add', c, 'netns', topo.core, 'type', 'veth', 'peer', 'name', n, 'netns', ns]);
      ip(['-n', topo.core, 'addr', 'add', `${node.coreAddr}/24`, 'dev', c]);
      ip(['-n', topo.core, 'link', 'set', c, 'up']);
      ip(['-n', ns, 'addr', 'add', `${node.nodeAddr}/24`, 'dev', n]);
      ip(['-n', ns, 'link', 'set', n, 'up']);
    }
  } catch (e) {
    destroyTopology(topo);
    throw e;
  }
  return topo;
}

/** Deletes every namespace of the topology (best effort: each is tried). */
export function destroyTopology(topo: NetnsTopology): string[] {
  const failed: string[] = [];
  for (const ns of [...topo.nodes.map((n) => n.ns), topo.core]) {
    const r = spawnSync('ip', ['netns', 'del', ns], { encoding: 'utf8' });
    if (r.status !== 0 && !/No such file/.test(r.stderr)) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  return failed;
}
