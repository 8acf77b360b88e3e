// The whole flow with real processes on 127.0.0.1, as `npm start` runs it: `bin/local.js` starts
// the local validator, 4 oracles, 5 compute-node agents (one cheating, one killed while it holds a
// task), a CAS server the nodes share tensors through, and a stream of requests. Once every request
// is done the test presses Ctrl-C (SIGINT to the whole process group, as a terminal sends it): the
// launcher still audits the chain, writes the summary and shuts every process down.
// One run checks both the protocol (audit, sampling, slashing, reassignment) and the launcher
// (live view, start-up steps, Ctrl-C): a second committee run would double the suite's longest file.
// The file's name sorts last, so tap (two files at a time) runs it beside the CPU-bound VRF files
// at the end of the suite rather than beside the timing-sensitive in-process consensus tests.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeBasePort, tempDir } from './helpers/oracle.js';
import { until } from './helpers/heartbeat.js';

t.setTimeout(240_000); // processes, not a unit: bounded by the kill timer below and this
t.test('end to end: requests complete through the CAS server, every selection audited, cheater slashed, crashed node\'s task reassigned; Ctrl-C yields the summary', { timeout: 225_000 }, async (t) => {
  const { dir, cleanup } = tempDir('splitup-e2e-');
  t.teardown(cleanup);
  const summaryFile = join(dir, 'summary.json');
  const local = join(dir, 'local');
  const basePort = await freeBasePort(20000, 30000);
  const requests = 10, p = 0.8, oracles = 4, nodes = 5;
  const child = spawn(process.execPath, [new URL('../bin/local.js', import.meta.url).pathname,
    '--dir', local, '--base-port', String(basePort), '--oracles', String(oracles), '--nodes', String(nodes), '--interval-ms', '1000', '--slot-ms', '200',
    '--requests', String(requests), '--request-every-ms', '800', '--p', String(p), '--cas-http', '--summary', summaryFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '', stderr = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  // whatever fails below, the launcher stops its processes (they run in their own process groups)
  t.teardown(async () => { if (child.exitCode === null && !child.signalCode) { child.kill('SIGTERM'); await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]); } });
  const killer = setTimeout(() => child.kill('SIGKILL'), 215_000);

  // every request done, and in the same frame every honest node online on every oracle
  // (bounded for a loaded CI machine: 84 s idle, 104 s at load 8)
  const lastFrame = () => out.split('SplitUp local committee').at(-2) ?? ''; // the newest complete frame
  const rowsOf = (frame: string) => frame.split('\n').filter((l) => /^\S{10}…  /.test(l));
  await until(`all ${requests} executions done and every honest node online on all ${oracles} oracles`, async () => {
    const f = lastFrame();
    if (!new RegExp(`executions \\[#+\\] ${requests}/${requests}`).test(f)) return false;
    const rows = rowsOf(f);
    return rows.length === nodes && rows.filter((r) => / honest /.test(r)).every((r) => (r.match(/online/g) ?? []).length === oracles);
  }, 190_000, 200);
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  clearTimeout(killer);
  t.equal(code, 0, `local committee exited cleanly\n${stderr.slice(-2000)}`);

  // ---- the protocol, from the summary the launcher read from the chain after Ctrl-C
  const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
  t.equal(s.requests, requests);
  t.equal(s.done, requests, 'every request completed');
  t.equal(s.tasksCompleted, requests * 4, 'every task of the 4-task model completed');
  // every selection the committee made, from the ledger: each quorum on chain has its selection record
  t.equal(s.audit.tasks, requests * 4, 'the audit walked every task of every execution');
  t.equal(s.audit.tasksCovered, requests * 4, 'every task has its selections audited');
  t.ok(s.audit.quorumsOnLedger >= requests * 4, `${s.audit.quorumsOnLedger} quorums of assignTask votes on the ledger`);
  t.equal(s.audit.checked, s.audit.quorumsOnLedger, 'every selection (every quorum on the ledger) audited');
  t.same(s.audit.gaps, [], 'no quorum without its record, no current selection unaudited');
  t.equal(s.audit.compute + s.audit.reassignment + s.audit.verification + s.audit.arbiter, s.audit.checked, 'each audited selection has its kind');
  t.ok(s.audit.compute + s.audit.reassignment >= requests * 4, `every compute assignment audited (${s.audit.compute} first, ${s.audit.reassignment} after a timeout, lapse or recomputation)`);
  t.ok(s.audit.verification >= s.sampled, `every verification selection audited (${s.audit.verification} for ${s.sampled} sampled tasks)`);
  t.ok(s.audit.arbiter >= 2 * s.mismatches, `the disputes' arbiter selections audited (${s.audit.arbiter})`);
  t.ok(s.audit.reassignment >= 1, `reassignments audited (${s.audit.reassignment}; the crashed node's task at least)`);
  t.same(s.audit.failures, [], 'no audit failure');
  t.equal(s.audit.quorumOk, s.audit.checked, 'every selection on chain had q matching signed votes');
  t.equal(s.audit.proofOk, s.audit.checked, 'every selected node is the one its ECVRF proof selects');
  // sampling: Binomial(40, 0.8) lies in [24, 38] with probability > 0.999
  t.ok(s.sampled >= 24 && s.sampled <= 38, `${s.sampled} of ${s.settled} tasks verified, about p = ${p}`);
  t.equal(s.settled, requests * 4);
  t.ok(s.mismatches >= 1, 'the cheater was caught');
  t.same(s.slashed.map((x: { node: string }) => x.node), s.cheaters, 'exactly the cheater is slashed');
  t.equal(s.slashed[0].status, 'Slashed');
  t.ok(s.crashed, 'a compute node was killed while holding a task');
  t.ok(s.reassignedAfterCrash, 'and its task was reassigned after the timeout and completed by another node');
  // ---- the money, in test USDC
  const u = s.usdc;
  t.ok(u.vaultMatchesBooks, `the vault holds exactly the books (${u.vault} = ${u.books} USDC)`);
  t.ok(Number(s.slashed[0].slashedUsdc) > 0, `the cheater lost ${s.slashed[0].slashedUsdc} USDC of stake`);
  t.ok(Number(u.earned) > 0, `nodes earned ${u.earned} USDC`);
  t.equal(u.requester.executionsClosed, requests, 'the requester closed every execution');
  t.ok(Number(u.requester.refunded) > 0, `and got ${u.requester.refunded} USDC refunded`);
  const micro = (x: string) => BigInt(Math.round(Number(x) * 1e6));
  t.equal(micro(u.requester.paid) + micro(u.requester.refunded), micro(u.requester.escrowed), 'paid + refunded = escrowed');

  // ---- the launcher: start-up steps, the live view, Ctrl-C
  const before = out.split('SplitUp local committee')[0]!;
  t.match(before, new RegExp(`state: .* \\(new: generating oracle identities[\\s\\S]*starting the local validator[\\s\\S]*setting up the chain[\\s\\S]*starting ${oracles} oracles[\\s\\S]*starting ${nodes} compute nodes[\\s\\S]*requesting ${requests} executions`), 'what is starting is said before the first screen');
  const frames = out.split('SplitUp local committee').slice(1);
  t.match(frames[0], /— t=0 s \(Ctrl-C to stop\)/, 'the clock starts at 0 with the first screen');
  const last = lastFrame();
  const rows = rowsOf(last);
  t.equal(rows.length, nodes, 'one row per node');
  const role = (r: string) => /^\S+…\s+(\w+)/.exec(r)![1];
  t.same(rows.map(role).sort(), ['cheater', 'crashed', 'honest', 'honest', 'honest'], 'roles: one cheater, one crashed, three honest');
  for (const r of rows) {
    // the killed node sends no heartbeat; a slashed node is no longer active in the chain registry,
    // so the oracles refuse its heartbeats
    if (role(r) === 'honest') t.equal((r.match(/online/g) ?? []).length, oracles, `an honest node is online on all ${oracles} oracles`);
    else if (role(r) === 'crashed') t.notMatch(r, /online/, 'the crashed node is online on no oracle');
    t.match(r, role(r) === 'cheater' ? / slashed / : / active /, `the ${role(r)} node's stake on chain: ${role(r) === 'cheater' ? 'slashed' : 'active'}`);
  }
  t.match(out, new RegExp(`summary: ${requests}/${requests} executions done`), 'the summary is read from the chain after Ctrl-C');
  t.match(out, /USDC: nodes earned [\d.]+, were slashed [\d.]+ and paid [\d.]+ in lapse penalties; the requester paid [\d.]+ and got [\d.]+ refunded \(\d+ executions closed\); treasury [\d.]+; vault [\d.]+ = books [\d.]+/, 'the summary states the money in USDC');
  t.match(out, /audit of every selection on the ledger \((\d+) of \1 quorums, covering (\d+)\/\2 tasks: \d+ compute, \d+ reassignments, \d+ verification, \d+ arbiter\): \1\/\1 with q matching votes, \1\/\1 re-derived/);
  t.match(out, new RegExp(`stopped: validator, ${oracles} oracles and ${nodes} compute nodes and the CAS server shut down`));
  // the final frame: every oracle has committed rounds, and the same table for the same round
  const rounds = [...last.matchAll(/oracle-\d+ {2}round (\d+) {2}table ([0-9a-f]{16})/g)].map((m) => [m[1], m[2]]);
  t.equal(rounds.length, oracles, 'every oracle reports a committed round');
  const byRound = new Map<string, Set<string>>();
  for (const [r, h] of rounds) byRound.set(r!, (byRound.get(r!) ?? new Set()).add(h!));
  for (const [r, hs] of byRound) t.equal(hs.size, 1, `round ${r}: one table`);

  // ---- --cas-http: no shared directory; every tensor a node read that it did not write came through the server
  t.notOk(existsSync(join(local, 'cas')), 'no directory shared by the processes');
  const blobs = (d: string) => existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f]{2}$/.test(f)).flatMap((f) => readdirSync(join(d, f))).filter((f) => /^[0-9a-f]{64}$/.test(f)) : [];
  const served = new Set(blobs(join(local, 'cas-server')));
  t.equal(s.blobs.inputs.length, requests, 'one input bundle per execution');
  t.ok(s.blobs.outputs.length >= 1, `${s.blobs.outputs.length} distinct accepted outputs on chain`);
  t.same([...s.blobs.inputs, ...s.blobs.outputs].filter((h: string) => !served.has(h)), [], `the server holds every model input and accepted output the chain names (${served.size} blobs)`);
  const perNode = Array.from({ length: nodes }, (_, i) => blobs(join(local, 'nodes', `cas-${i + 1}`)));
  t.ok(perNode.every((b) => b.every((h) => served.has(h))), 'every blob a node holds is on the server (written through or fetched from it)');
  t.ok(perNode.filter((b) => b.length > 0).length >= 3, `nodes keep their own copies (${perNode.map((b) => b.length).join(', ')} blobs)`);
});
