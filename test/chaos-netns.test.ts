// Real-process chaos: 4 oracle processes on two network namespaces (2 + 2), partitioned by
// cutting the link between them and healed; the same safety checks as the simulator's
// (identical committed tables, nothing committed without a quorum). Needs root and iproute2;
// skipped, with the reason, where namespaces cannot be created.
import t from 'tap';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { NetnsLab } from '../src/sim/netns.js';
import { CONFIG_VERSION } from '../src/oracle/config.js';
import { generateOracleKeys, readOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { memberEntry } from '../src/oracle/member.js';
import { peerIdFromSeed } from '../src/p2p/libp2p.js';
import { COMMITTEE_VERSION } from '../src/consensus/committee.js';
import { formatRegistry } from '../src/registry/file-registry.js';
import { tempDir } from './helpers/oracle.js';
import { until } from './helpers/heartbeat.js';

const skip = NetnsLab.probe();

t.test('4 oracles on two namespaces: a 2+2 partition commits nothing, the heal resumes commits, tables agree', { skip: skip ?? false, timeout: 150_000 }, async (t) => {
  const { dir, cleanup } = tempDir('splitup-chaos-');
  const lab = NetnsLab.create();
  t.teardown(async () => { await lab.stopProcesses(); lab.destroy(); cleanup(); });
  const epochMs = 1000;
  const sides = [lab.nsA, lab.nsA, lab.nsB, lab.nsB];
  const addrs = [lab.addrA, lab.addrA, lab.addrB, lab.addrB];
  const http = (i: number) => `http://${addrs[i]}:${8080 + i}`;
  const members = [];
  for (let i = 0; i < 4; i++) {
    const d = join(dir, `oracle-${i}`);
    mkdirSync(d, { recursive: true });
    writeOracleKeys(join(d, 'key.json'), generateOracleKeys());
    const keys = readOracleKeys(join(d, 'key.json'));
    members.push(memberEntry(keys, `oracle-${i}`, [`/ip4/${addrs[i]}/tcp/${9000 + i}`], http(i), await peerIdFromSeed(keys.libp2pSeed)));
  }
  const now = Date.now();
  writeFileSync(join(dir, 'committee.json'), JSON.stringify({
    version: COMMITTEE_VERSION, members,
    params: { epochMs, genesisMs: now - (now % epochMs), proposeTimeoutMs: 400, prevoteTimeoutMs: 200, precommitTimeoutMs: 200, timeoutDeltaMs: 200, maxSkewMs: 2000, liveness: { intervalMs: epochMs, missedForOffline: 3, graceMs: 200 } },
  }));
  writeFileSync(join(dir, 'registry.json'), formatRegistry([]));
  for (let i = 0; i < 4; i++) {
    const d = join(dir, `oracle-${i}`);
    writeFileSync(join(d, 'oracle.json'), JSON.stringify({
      version: CONFIG_VERSION, dataDir: '.', keyFile: 'key.json', registryFile: '../registry.json', committeeFile: '../committee.json',
      http: { host: addrs[i], port: 8080 + i }, log: { level: 'warn' }, p2p: { listen: [`/ip4/${addrs[i]}/tcp/${9000 + i}`] },
    }));
    lab.spawn(sides[i]!, process.execPath, [new URL('../bin/oracle.js', import.meta.url).pathname, 'start', '--config', join(d, 'oracle.json')]);
  }
  // what oracle i has committed: its newest round and every round's table hash up to it
  const fetcher = `const u=process.argv[1];(async()=>{const l=await fetch(u+'/api/liveness/latest').then(r=>r.ok?r.json():null).catch(()=>null);if(!l){console.log('null');return}const h={};for(let r=0;r<=Number(l.round);r++){const x=await fetch(u+'/api/liveness/rounds/'+r).then(r=>r.ok?r.json():null);if(x)h[r]=x.tableHash}console.log(JSON.stringify({round:Number(l.round),hashes:h}))})()`;
  const view = (i: number): { round: number; hashes: Record<string, string> } | null => {
    try { return JSON.parse(lab.exec(sides[i]!, process.execPath, ['-e', fetcher, http(i)])); } catch { return null; }
  };
  const heads = () => [0, 1, 2, 3].map((i) => view(i)?.round ?? -1);

  await until('every oracle committing', () => heads().every((r) => r >= 2), 60_000, 300);
  lab.partition();
  // once the cut is in place, heads settle (a round in flight at the cut may still land)
  let last = '', since = Date.now();
  await until('heads to settle after the cut', () => { const h = heads().join(','); if (h !== last) { last = h; since = Date.now(); } return Date.now() - since >= 2 * epochMs; }, 30_000, 300);
  const frozen = heads();
  const end = Date.now() + 4 * epochMs;
  await until('an observation window of 4 epochs', () => Date.now() >= end, 10_000, 200);
  t.same(heads(), frozen, 'no round committed by either half (2 < q = 3)');
  lab.heal();
  const max = Math.max(...frozen);
  await until('commits to resume on all four after the heal', () => heads().every((r) => r >= max + 2), 60_000, 300);
  // the checkers: every round any two oracles committed has one table
  const views = [0, 1, 2, 3].map(view);
  const byRound = new Map<string, Set<string>>();
  for (const v of views) for (const [r, h] of Object.entries(v!.hashes)) byRound.set(r, (byRound.get(r) ?? new Set()).add(h));
  t.ok(byRound.size >= max + 2, `${byRound.size} rounds compared`);
  t.ok([...byRound.values()].every((s) => s.size === 1), 'identical committed tables on every oracle for every round');
});
