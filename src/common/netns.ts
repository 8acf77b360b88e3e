// Linux network namespaces (root, iproute2's `ip`): the runner and the availability probe shared by
// the simulator's real-process chaos runs (src/sim/chaos.ts, a hub bridge joining one namespace per
// oracle) and `npm start -- --netns` (the star topology below). Every name carries a random tag, so
// two runs never collide; deleting a namespace takes its veth ends with it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Runs `ip ARGS`; throws with ip's own message when it fails. */
export const ip = (...args: string[]): string => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** Null when this process may create namespaces (root with iproute2), else the reason. */
export function netnsUnavailable(): string | null {
  const name = `su-probe-${randomBytes(3).toString('hex')}`;
  try { ip('netns', 'add', name); ip('netns', 'del', name); return null; } catch (e) { return `network namespaces unavailable (needs root and iproute2): ${(e as Error).message.split('\n')[0]}`; }
}

/**
 * `npm start -- --netns`: the committee (validator, oracles, CAS server) in one namespace, each
 * compute node in a namespace of its own, joined to the committee's by a veth pair (node i:
 * 10.91.i.2 ↔ 10.91.i.1 on the committee's side), so a node reaches the committee only over its
 * link, as another machine would.
 */
export interface NetnsTopology {
  core: string;
  nodes: Array<{ ns: string; coreAddr: string; nodeAddr: string }>;
}

export function createTopology(nodes: number): NetnsTopology {
  if (nodes < 1 || nodes > 250) throw new RangeError('1..250 nodes');
  const tag = randomBytes(3).toString('hex');
  const topo: NetnsTopology = { core: `splitup-core-${tag}`, nodes: [] };
  try {
    ip('netns', 'add', topo.core);
    ip('-n', topo.core, 'link', 'set', 'lo', 'up');
    for (let i = 1; i <= nodes; i++) {
      const ns = `splitup-n${i}-${tag}`, c = `su${tag}c${i}`, n = `su${tag}n${i}`; // interface names ≤ 15 bytes
      const node = { ns, coreAddr: `10.91.${i}.1`, nodeAddr: `10.91.${i}.2` };
      ip('netns', 'add', ns);
      topo.nodes.push(node);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', c, 'netns', topo.core, 'type', 'veth', 'peer', 'name', n, 'netns', ns);
      ip('-n', topo.core, 'addr', 'add', `${node.coreAddr}/24`, 'dev', c);
      ip('-n', topo.core, 'link', 'set', c, 'up');
      ip('-n', ns, 'addr', 'add', `${node.nodeAddr}/24`, 'dev', n);
      ip('-n', ns, 'link', 'set', n, 'up');
    }
  } catch (e) {
    destroyTopology(topo);
    throw e;
  }
  return topo;
}

/** Deletes every namespace of the topology (each is tried); returns what could not be deleted. */
export function destroyTopology(topo: NetnsTopology): string[] {
  const failed: string[] = [];
  for (const ns of [...topo.nodes.map((n) => n.ns), topo.core]) {
    try { ip('netns', 'del', ns); } catch (e) { if (!/No such file/.test((e as Error).message)) failed.push(`${ns}: ${(e as Error).message.split('\n')[0]}`); }
  }
  return failed;
}
