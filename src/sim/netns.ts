// Real-process chaos with Linux network namespaces (root, iproute2): two namespaces joined by a
// veth pair — side A at 10.77.<k>.1, side B at 10.77.<k>.2 — so a committee's processes can run
// on two "hosts" and be partitioned (the link cut in both directions) and healed on a schedule.
// Everything is created under a unique prefix and removed by destroy().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export class NetnsLab {
  readonly nsA: string;
  readonly nsB: string;
  readonly addrA: string;
  readonly addrB: string;
  private readonly vethA: string;
  private readonly vethB: string;
  private readonly procs: ChildProcess[] = [];

  private constructor(tag: string, subnet: number) {
    this.nsA = `su-${tag}-a`; this.nsB = `su-${tag}-b`;
    this.vethA = `sa${tag}`; this.vethB = `sb${tag}`;
    this.addrA = `10.77.${subnet}.1`; this.addrB = `10.77.${subnet}.2`;
  }

  /** Whether this process may create namespaces (root with iproute2); the reason when not. */
  static probe(): string | null {
    const tag = randomBytes(3).toString('hex');
    try { ip('netns', 'add', `su-probe-${tag}`); ip('netns', 'del', `su-probe-${tag}`); return null; } catch (e) { return `network namespaces unavailable: ${(e as Error).message.split('\n')[0]}`; }
  }

  static create(): NetnsLab {
    const tag = randomBytes(3).toString('hex');
    const lab = new NetnsLab(tag, 1 + (parseInt(tag, 16) % 250));
    try {
      ip('netns', 'add', lab.nsA);
      ip('netns', 'add', lab.nsB);
      ip('link', 'add', lab.vethA, 'type', 'veth', 'peer', 'name', lab.vethB);
      ip('link', 'set', lab.vethA, 'netns', lab.nsA);
      ip('link', 'set', lab.vethB, 'netns', lab.nsB);
      for (const [ns, dev, addr] of [[lab.nsA, lab.vethA, lab.addrA], [lab.nsB, lab.vethB, lab.addrB]] as const) {
        ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
        ip('-n', ns, 'link', 'set', dev, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  /** Starts a process inside namespace `ns` (killed by destroy()). */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.procs.push(p);
    return p;
  }

  /** Runs a short command inside `ns` and returns its stdout. */
  exec(ns: string, cmd: string, args: string[], timeoutMs = 10_000): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }

  /** Cuts the link between the two sides (both directions). */
  partition(): void { ip('-n', this.nsA, 'link', 'set', this.vethA, 'down'); }
  heal(): void { ip('-n', this.nsA, 'link', 'set', this.vethA, 'up'); }

  async stopProcesses(): Promise<void> {
    await Promise.all(this.procs.map((p) => new Promise((r) => { if (p.exitCode !== null || p.signalCode) return r(null); p.once('exit', r); p.kill('SIGTERM'); setTimeout(() => p.kill('SIGKILL'), 5000).unref(); })));
  }

  destroy(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of [this.nsA, this.nsB]) { try { ip('netns', 'del', ns); } catch { /* already gone */ } }
  }
}
