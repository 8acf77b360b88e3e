// The whole flow with real processes on 127.0.0.1: `bin/local.js` starts the local validator,
// 4 oracles, 5 compute-node agents (one cheating, one killed while it holds a task) and a
// stream of requests, then audits the chain and writes a summary.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeBasePort, tempDir } from './helpers/oracle.js';

t.setTimeout(240_000); // processes, not a unit: bounded by the SIGINT below and this
t.test('end to end: requests complete, every selection audited, cheater slashed, crashed node\'s task reassigned', { timeout: 225_000 }, async (t) => {
  const { dir, cleanup } = tempDir('splitup-e2e-');
  t.teardown(cleanup);
  const summaryFile = join(dir, 'summary.json');
  const basePort = await freeBasePort(20000, 30000);
  const requests = 10, p = 0.8;
  const child = spawn(process.execPath, [new URL('../bin/local.js', import.meta.url).pathname,
    '--dir', join(dir, 'local'), '--base-port', String(basePort), '--interval-ms', '1000', '--slot-ms', '200',
    '--requests', String(requests), '--request-every-ms', '800', '--p', String(p), '--exit-when-done', '--summary', summaryFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const killer = setTimeout(() => child.kill('SIGINT'), 175_000); // bounded: the run writes its summary and stops on SIGINT (104 s at load 8, 150 s at load 20 with the ledger audit)
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(killer);
  t.equal(code, 0, `local committee exited cleanly\n${stderr.slice(-2000)}`);
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
});
