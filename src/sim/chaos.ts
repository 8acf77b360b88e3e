// Real-process chaos: a scenario's partitions and crashes applied to a committee of real oracle
// processes, each in its own Linux network namespace, in real time; the simulator's checkers on
// what the processes committed. Needs root and iproute2 (see netnsUnavailable in src/common/netns.ts).
//
// Network: a hub namespace holds a bridge; oracle i's namespace joins it through a veth pair
// with address 10.77.<subnet>.<i + 1>/24. A partition into groups installs, in every oracle's
// namespace, blackhole routes to the oracles outside its group (packets are dropped silently, in
// both directions, as on a real cut); the heal deletes them. A crash is SIGKILL; the restart runs
// the same config and data dir. A probe process in the hub (reachable from every side whatever
// the partition) reads each oracle's HTTP API for the checkers. Everything is created under a
// random tag and removed by destroy().
//
// Checkers: every round that two oracles committed has one table; every certificate verifies
// against the committee's keys with q signatures for that table; tables chain by hash; while no
// side of a partition holds q oracles nothing commits (after the rounds in flight at the cut);
// a side with q keeps committing; after a heal every oracle commits again within a bound; a
// restarted oracle catches up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CONFIG_VERSION } from '../oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../oracle/keys.js';
import { memberEntry } from '../oracle/member.js';
import { peerIdFromSeed } from '../p2p/libp2p.js';
import { COMMITTEE_VERSION, loadCommittee, type Committee } from '../consensus/committee.js';
import { CommitteeKeys, verifyCertificate } from '../consensus/messages.js';
import { formatRegistry } from '../registry/file-registry.js';
import type { Scenario } from './scenario.js';
import { ip } from '../common/netns.js';

const HTTP_PORT = 8080, P2P_PORT = 9000;

/** The network of a real-process chaos run: one namespace per oracle, joined by a bridge in a hub namespace. */
export class ChaosLab {
  readonly hub: string;
  private readonly tag: string;
  private readonly subnet: number;
  private readonly routes: Array<[number, string]> = [];
  private probeProc: ChildProcess | null = null;
  private readonly pending = new Map<number, (v: { status: number; body: unknown }) => void>();
  private nextId = 0;

  private constructor(readonly n: number) {
    this.tag = randomBytes(3).toString('hex');
    this.subnet = 1 + (parseInt(this.tag, 16) % 250);
    this.hub = `su-${this.tag}-hub`;
  }

  ns(i: number): string { return `su-${this.tag}-o${i}`; }
  addr(i: number): string { return `10.77.${this.subnet}.${i + 1}`; }
  url(i: number): string { return `http://${this.addr(i)}:${HTTP_PORT}`; }

  static create(n: number): ChaosLab {
    const lab = new ChaosLab(n);
    try {
      ip('netns', 'add', lab.hub);
      ip('-n', lab.hub, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lab.hub, 'addr', 'add', `10.77.${lab.subnet}.254/24`, 'dev', 'br0');
      ip('-n', lab.hub, 'link', 'set', 'br0', 'up');
      ip('-n', lab.hub, 'link', 'set', 'lo', 'up');
      for (let i = 0; i < n; i++) {
        const ns = lab.ns(i), inner = `su${lab.tag}i${i}`, outer = `su${lab.tag}h${i}`;
        ip('netns', 'add', ns);
        ip('link', 'add', inner, 'netns', ns, 'type', 'veth', 'peer', 'name', outer, 'netns', lab.hub);
        ip('-n', lab.hub, 'link', 'set', outer, 'master', 'br0');
        ip('-n', lab.hub, 'link', 'set', outer, 'up');
        ip('-n', ns, 'addr', 'add', `${lab.addr(i)}/24`, 'dev', inner);
        ip('-n', ns, 'link', 'set', inner, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  /** Cuts the committee into groups (oracles in no group form one more group together). */
  partition(groups: number[][]): void {
    this.heal();
    const side = new Map<number, number>();
    groups.forEach((g, k) => g.forEach((i) => side.set(i, k)));
    const sideOf = (i: number) => side.get(i) ?? -1;
    for (let i = 0; i < this.n; i++) {
      for (let j = 0; j < this.n; j++) {
        if (i === j || sideOf(i) === sideOf(j)) continue;
        ip('-n', this.ns(i), 'route', 'add', 'blackhole', `${this.addr(j)}/32`);
        this.routes.push([i, `${this.addr(j)}/32`]);
      }
    }
  }

  heal(): void {
    for (const [i, dst] of this.routes.splice(0)) { try { ip('-n', this.ns(i), 'route', 'del', 'blackhole', dst); } catch { /* gone with its namespace */ } }
  }

  /** Starts `cmd args` inside oracle i's namespace. */
  spawnIn(i: number, cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns(i), cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** GET `url` from the hub (reaches every oracle whatever the partition); null on a network error or timeout. */
  async get(url: string, timeoutMs = 1500): Promise<{ status: number; body: unknown } | null> {
    if (!this.probeProc) {
      // one long-lived fetcher in the hub: JSON lines {id, url, timeoutMs} in, {id, status, body} out
      const script = `const rl=require('readline').createInterface({input:process.stdin});rl.on('line',async(l)=>{const q=JSON.parse(l);let out;try{const r=await fetch(q.url,{signal:AbortSignal.timeout(q.timeoutMs)});out={id:q.id,status:r.status,body:await r.json().catch(()=>null)}}catch{out={id:q.id,status:0,body:null}}process.stdout.write(JSON.stringify(out)+'\\n')});`;
      const p = spawn('ip', ['netns', 'exec', this.hub, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
      createInterface({ input: p.stdout! }).on('line', (l) => { const m = JSON.parse(l) as { id: number; status: number; body: unknown }; this.pending.get(m.id)?.(m); this.pending.delete(m.id); });
      this.probeProc = p;
    }
    const id = this.nextId++;
    const r = await new Promise<{ status: number; body: unknown }>((res) => { this.pending.set(id, res); this.probeProc!.stdin!.write(JSON.stringify({ id, url, timeoutMs }) + '\n'); });
    return r.status === 0 ? null : r;
  }

  destroy(): void {
    this.probeProc?.kill('SIGKILL');
    for (const r of this.pending.values()) r({ status: 0, body: null });
    for (let i = 0; i < this.n; i++) { try { ip('netns', 'del', this.ns(i)); } catch { /* not created */ } }
    try { ip('netns', 'del', this.hub); } catch { /* not created */ }
  }
}

export interface ChaosViolation { kind: 'divergence' | 'bad-certificate' | 'hash-chain' | 'commit-without-quorum' | 'no-progress' | 'no-recovery' | 'no-catch-up'; detail: string }

export interface ChaosReport {
  scenario: string;
  n: number; q: number; epochMs: number;
  /** what the scenario holds that real processes do not model here */
  ignored: string[];
  /** from spawning the oracles until every one had committed a round (the schedule starts then) */
  startupMs: number;
  /** every schedule event, at ms after the start */
  events: Array<{ atMs: number; kind: 'partition' | 'heal' | 'crash' | 'restart'; detail: string }>;
  /** each oracle's newest committed round, sampled (ms after the start; -1 when unreachable) */
  heads: Array<{ atMs: number; heads: number[] }>;
  /** per heal: ms until every oracle had committed a round newer than any at the heal */
  recoveryMs: Array<{ healAtMs: number; ms: number | null }>;
  /** per restart: ms until the restarted oracle reached the head the others had at its restart */
  catchUpMs: Array<{ oracle: number; restartAtMs: number; ms: number | null }>;
  roundsCompared: number;
  certificatesVerified: number;
  violations: ChaosViolation[];
  safe: boolean;
}

/** Scenario fields real-process chaos cannot apply: rejected (they would change what is tested) or ignored. */
export function checkChaosScenario(s: Scenario): { ignored: string[] } {
  const bad: string[] = [];
  if (Object.keys(s.byzantine).length) bad.push('byzantine oracles (simulator only)');
  if (s.plant) bad.push('planted bugs (simulator only)');
  if (s.drop > 0 || s.dup > 0) bad.push('message loss and duplication (they need the sch_netem qdisc)');
  if (bad.length) throw new Error(`real-process chaos applies partitions and crashes; this scenario also asks for ${bad.join(', ')}`);
  const ignored = ['delayMs (the real network has its own delays)'];
  if (s.flapping?.length) ignored.push('flapping compute nodes (no compute nodes in a chaos run)');
  return { ignored };
}

interface OracleProc { proc: ChildProcess | null; config: string }

/**
 * Runs `scenario` against n real oracle processes in `dir`. Schedule times count from the moment
 * every oracle has committed a round; the run then heals, restarts whatever is down and waits for
 * every oracle to commit past the newest round before checking.
 */
export async function runChaos(scenario: Scenario, o: { dir: string; name?: string; log?: (m: string) => void; warmupMs?: number; settleMs?: number }): Promise<ChaosReport> {
  const { ignored } = checkChaosScenario(scenario);
  const log = o.log ?? (() => {});
  const n = scenario.n, epochMs = scenario.epochMs;
  const lab = ChaosLab.create(n);
  const oracles: OracleProc[] = [];
  const bin = new URL('../../bin/oracle.js', import.meta.url).pathname;
  const start = (i: number) => {
    const p = lab.spawnIn(i, process.execPath, [bin, 'start', '--config', oracles[i]!.config]);
    p.stderr!.on('data', (b) => log(`[oracle ${i}] ${String(b).trimEnd()}`));
    oracles[i]!.proc = p;
  };
  const kill = (i: number) => new Promise<void>((res) => {
    const p = oracles[i]!.proc;
    oracles[i]!.proc = null;
    if (!p || p.exitCode !== null || p.signalCode) return res();
    p.once('exit', () => res());
    p.kill('SIGKILL'); // ip netns exec execs the oracle: this is the oracle process itself
  });
  try {
    // identities, committee, configs
    const members = [];
    for (let i = 0; i < n; i++) {
      const d = join(o.dir, `oracle-${i}`);
      mkdirSync(d, { recursive: true, mode: 0o700 });
      const keys = generateOracleKeys();
      writeOracleKeys(join(d, 'key.json'), keys);
      members.push(memberEntry(keys, `oracle-${i}`, [`/ip4/${lab.addr(i)}/tcp/${P2P_PORT}`], lab.url(i), await peerIdFromSeed(keys.libp2pSeed)));
    }
    const now = Date.now();
    const timeouts = { proposeTimeoutMs: Math.round(epochMs * 0.4), prevoteTimeoutMs: Math.round(epochMs * 0.2), precommitTimeoutMs: Math.round(epochMs * 0.2), timeoutDeltaMs: Math.round(epochMs * 0.2) };
    writeFileSync(join(o.dir, 'committee.json'), JSON.stringify({
      version: COMMITTEE_VERSION, members,
      params: { epochMs, genesisMs: now - (now % epochMs), ...timeouts, maxSkewMs: 2000, liveness: { intervalMs: epochMs, missedForOffline: 3, graceMs: Math.round(epochMs / 5) } },
    }, null, 2));
    writeFileSync(join(o.dir, 'registry.json'), formatRegistry([]));
    const committee: Committee = loadCommittee(join(o.dir, 'committee.json'));
    for (let i = 0; i < n; i++) {
      const d = join(o.dir, `oracle-${i}`);
      writeFileSync(join(d, 'oracle.json'), JSON.stringify({
        version: CONFIG_VERSION, dataDir: '.', keyFile: 'key.json', registryFile: '../registry.json', committeeFile: '../committee.json',
        http: { host: lab.addr(i), port: HTTP_PORT }, log: { level: 'warn' }, p2p: { listen: [`/ip4/${lab.addr(i)}/tcp/${P2P_PORT}`] },
      }));
      oracles.push({ proc: null, config: join(d, 'oracle.json') });
      start(i);
    }

    const head = async (i: number) => { const r = await lab.get(`${lab.url(i)}/api/liveness/latest`); return r?.status === 200 ? Number((r.body as { round: string }).round) : -1; };
    const heads = () => Promise.all(Array.from({ length: n }, (_, i) => head(i)));
    const waitFor = async (what: string, ok: () => Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await ok())) { if (Date.now() > end) throw new Error(`chaos: ${what} did not happen within ${ms} ms`); await new Promise((r) => setTimeout(r, 250)); }
    };
    const spawned = Date.now();
    await waitFor('every oracle committing', async () => (await heads()).every((h) => h >= 1), o.warmupMs ?? 60_000);
    const startupMs = Date.now() - spawned;
    log(`every oracle commits after ${startupMs} ms: schedule starts`);

    // the schedule, in real time
    const events: ChaosReport['events'] = [];
    const plan: Array<{ at: number; kind: ChaosReport['events'][number]['kind']; run: () => Promise<void> | void; detail: string }> = [];
    for (const p of scenario.partitions) {
      plan.push({ at: p.from, kind: 'partition', detail: JSON.stringify(p.groups), run: () => lab.partition(p.groups) });
      plan.push({ at: p.to, kind: 'heal', detail: JSON.stringify(p.groups), run: () => lab.heal() });
    }
    for (const c of scenario.crashes) {
      plan.push({ at: c.from, kind: 'crash', detail: `oracle ${c.i}`, run: () => kill(c.i) });
      plan.push({ at: c.to, kind: 'restart', detail: `oracle ${c.i}`, run: () => start(c.i) });
    }
    plan.sort((a, b) => a.at - b.at);
    const samples: ChaosReport['heads'] = [];
    const t0 = Date.now();
    const since = () => Date.now() - t0;
    // events fire on their own timers (in order), heads are sampled alongside
    let chainOfEvents: Promise<void> = Promise.resolve();
    const timers = plan.map((e) => setTimeout(() => {
      chainOfEvents = chainOfEvents.then(async () => {
        await e.run();
        events.push({ atMs: since(), kind: e.kind, detail: e.detail });
        log(`${since()} ms: ${e.kind} ${e.detail}`);
      });
    }, e.at));
    try {
      while (since() < scenario.durationMs) {
        samples.push({ atMs: since(), heads: await heads() });
        await new Promise((r) => setTimeout(r, 150));
      }
    } finally {
      timers.forEach(clearTimeout);
    }
    await chainOfEvents;
    // end of the schedule: heal, restart what is down, let every oracle pass the newest round
    lab.heal();
    for (let i = 0; i < n; i++) if (!oracles[i]!.proc) start(i);
    const top = Math.max(...samples.flatMap((s) => s.heads));
    await waitFor('every oracle committing past the newest round after the schedule', async () => {
      const h = await heads();
      samples.push({ atMs: since(), heads: h });
      return h.every((x) => x >= top + 2);
    }, o.settleMs ?? 60_000);

    // checkers
    const violations: ChaosViolation[] = [];
    const keys = new CommitteeKeys(committee);
    const finalHeads = await heads();
    const byRound = new Map<number, Map<string, number[]>>();
    let certificatesVerified = 0;
    for (let i = 0; i < n; i++) {
      for (let r = 0; r <= finalHeads[i]!; r++) {
        const res = await lab.get(`${lab.url(i)}/api/liveness/rounds/${r}`);
        if (res?.status !== 200) continue; // rounds before this oracle's first commit may be absent
        const b = res.body as { tableHash: string; prevHash: string; certificate: { view: number; signatures: Array<{ index: number; signature: string }> } | null };
        const m = byRound.get(r) ?? new Map<string, number[]>();
        m.set(b.tableHash, [...(m.get(b.tableHash) ?? []), i]);
        byRound.set(r, m);
        if (r > 0) {
          const prev = byRound.get(r - 1);
          if (prev && prev.size === 1 && !prev.has(b.prevHash)) violations.push({ kind: 'hash-chain', detail: `oracle ${i} round ${r}: prevHash ${b.prevHash.slice(0, 12)} is not round ${r - 1}'s table` });
        }
        if (!b.certificate) { violations.push({ kind: 'bad-certificate', detail: `oracle ${i} round ${r}: no certificate` }); continue; }
        const v = verifyCertificate({ round: BigInt(r), view: b.certificate.view, tableHash: Buffer.from(b.tableHash, 'hex'), sigs: b.certificate.signatures.map((s) => ({ index: s.index, sig: Buffer.from(s.signature, 'hex') })) }, keys);
        if (!v.ok) violations.push({ kind: 'bad-certificate', detail: `oracle ${i} round ${r}: ${v.reason}` });
        else certificatesVerified++;
      }
    }
    for (const [r, m] of byRound) if (m.size > 1) violations.push({ kind: 'divergence', detail: `round ${r}: ${[...m].map(([h, who]) => `${h.slice(0, 12)} at ${who.join(',')}`).join(' vs ')}` });

    const q = committee.q;
    const at = (t: number) => samples.find((s) => s.atMs >= t);
    const inFlight = 2 * epochMs; // rounds already deciding at the cut may still land
    const recoveryMs: ChaosReport['recoveryMs'] = [];
    for (const p of scenario.partitions) {
      const cut = events.find((e) => e.kind === 'partition' && e.detail === JSON.stringify(p.groups) && e.atMs >= p.from)?.atMs ?? p.from;
      const healed = events.find((e) => e.kind === 'heal' && e.atMs >= p.to)?.atMs ?? p.to;
      const window = samples.filter((s) => s.atMs >= cut + inFlight && s.atMs < healed);
      const side = new Map<number, number>();
      p.groups.forEach((g, k) => g.forEach((i) => side.set(i, k)));
      const sizes = new Map<number, number[]>();
      for (let i = 0; i < n; i++) sizes.set(side.get(i) ?? -1, [...(sizes.get(side.get(i) ?? -1) ?? []), i]);
      const down = (i: number, t: number) => scenario.crashes.some((c) => c.i === i && t >= c.from - 500 && t < c.to + 5 * epochMs);
      if (window.length >= 2) {
        const first = window[0]!, last = window.at(-1)!;
        for (const members of sizes.values()) {
          const grew = members.filter((i) => first.heads[i]! >= 0 && last.heads[i]! > first.heads[i]!);
          if (members.length < q && grew.length) violations.push({ kind: 'commit-without-quorum', detail: `partition ${JSON.stringify(p.groups)}: oracles ${grew.join(',')} (a side of ${members.length} < q = ${q}) committed rounds ${grew.map((i) => `${first.heads[i]}→${last.heads[i]}`).join(', ')}` });
          const up = members.filter((i) => !down(i, cut) && !down(i, healed));
          if (members.length >= q && up.length >= q && last.atMs - first.atMs >= 3 * epochMs && !up.some((i) => last.heads[i]! > first.heads[i]!)) violations.push({ kind: 'no-progress', detail: `partition ${JSON.stringify(p.groups)}: the side ${members.join(',')} holds q = ${q} but committed nothing in ${last.atMs - first.atMs} ms` });
        }
      }
      const before = at(healed)?.heads ?? [];
      const mark = Math.max(...before);
      const done = samples.find((s) => s.atMs >= healed && s.heads.every((h, i) => h > mark || down(i, s.atMs)));
      const ms = done ? done.atMs - healed : null;
      recoveryMs.push({ healAtMs: healed, ms });
      if (ms === null || ms > 20 * epochMs) violations.push({ kind: 'no-recovery', detail: `after the heal at ${healed} ms: ${ms === null ? 'no' : `only after ${ms} ms a`} commit on every oracle` });
    }
    const catchUpMs: ChaosReport['catchUpMs'] = [];
    for (const e of events.filter((x) => x.kind === 'restart')) {
      const i = Number(e.detail.split(' ')[1]);
      const target = Math.max(...(at(e.atMs)?.heads ?? [-1]).filter((_, k) => k !== i));
      const done = samples.find((s) => s.atMs >= e.atMs && s.heads[i]! >= target);
      catchUpMs.push({ oracle: i, restartAtMs: e.atMs, ms: done ? done.atMs - e.atMs : null });
      if (!done) violations.push({ kind: 'no-catch-up', detail: `oracle ${i} restarted at ${e.atMs} ms never reached round ${target}` });
    }
    return {
      scenario: o.name ?? scenario.name ?? '(unnamed)', n, q, epochMs, ignored, startupMs, events, heads: samples, recoveryMs, catchUpMs,
      roundsCompared: byRound.size, certificatesVerified, violations, safe: violations.length === 0,
    };
  } finally {
    await Promise.all(oracles.map((_, i) => kill(i)));
    lab.destroy();
  }
}
