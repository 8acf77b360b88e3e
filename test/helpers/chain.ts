// The program's test chain: see src/chain/local-chain.ts.
export { LocalChain as ChainFixture, DIAMOND, MODEL_ID, TASKS, f32 } from '../../src/chain/local-chain.js';

import { Keypair, type PublicKey } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { ExecStatus, Phase } from '../../src/chain/layout.js';
import { USDC, type CommitteeParams } from '../../src/chain/program.js';
import { LocalChain, MODEL_ID } from '../../src/chain/local-chain.js';

/**
 * A committee of n with the tasks and the example model registered, and a funded requester (SOL for
 * fees and rent, 1 000 000 test USDC in its associated token account);
 * request(maxFee) asks for the next execution (nonces 1, 2, …) and returns its id.
 */
export function withRequester(params: CommitteeParams, n = 3) {
  const c = new LocalChain(n);
  c.initCommittee(params);
  c.registerTasks();
  c.registerModel();
  const requester = Keypair.generate();
  c.svm.airdrop(requester.publicKey, 1_000_000_000_000n);
  c.fund(requester.publicKey, 1_000_000n * USDC);
  let nonce = 1n;
  const request = (maxFee = 1_000_000_000n) => {
    const n = nonce++;
    c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, n, `cas://${n}`, maxFee));
    return c.program.executionId(requester.publicKey, n);
  };
  return { c, requester, request };
}

/**
 * One step of execution `id` with honest nodes: the first task not done or pending moves one phase
 * (assigned to a node of `nodes` not excluded from it, committed, settled, revealed, and when
 * sampled verified by another node). `outputOf(i)` is the output hash task i's nodes commit to
 * (default: a hash of the execution and task). Returns whether the execution is done.
 */
export function stepper(c: LocalChain, id: bigint, nodes: Keypair[], outputOf: (i: number) => Uint8Array = (i) => createHash('sha256').update(`${id}/${i}`).digest()): () => boolean {
  const commits = new Map<string, { salt: Uint8Array; output: Uint8Array; fp: Uint8Array }>();
  const byKey = (k: PublicKey | null) => nodes.find((n) => k && n.publicKey.equals(k))!;
  return () => {
    const e = c.execution(id);
    if (e.status === ExecStatus.Done) return true;
    const i = e.tasks.findIndex((ts) => ts.phase !== Phase.Done && ts.phase !== Phase.Pending);
    const ts = e.tasks[i]!;
    if (ts.phase === Phase.Ready || ts.phase === Phase.VerifyReady) {
      const node = nodes.find((n) => !ts.excluded.some((x) => x.equals(n.publicKey)) && !(ts.asserter?.equals(n.publicKey)));
      if (!node) throw new Error(`no node left for execution ${id} task ${i}`);
      c.assign(id, i, node.publicKey);
    } else if (ts.phase === Phase.Assigned || ts.phase === Phase.Verifying) {
      const node = byKey(ts.assigned);
      commits.set(`${i}/${node.publicKey.toBase58()}`, c.commitResult(node, id, i, outputOf(i)));
    } else if (ts.phase === Phase.Committed) {
      c.svm.advanceSlots(2);
      c.settleTask(id, i);
    } else if (ts.phase === Phase.Reveal) {
      const a = byKey(ts.asserter);
      c.revealResult(a, id, i, commits.get(`${i}/${a.publicKey.toBase58()}`)!);
    } else if (ts.phase === Phase.VerifyReveal) {
      const v = byKey(ts.validator), a = byKey(ts.asserter);
      if (!(ts.revealed & 2)) c.revealResult(v, id, i, commits.get(`${i}/${v.publicKey.toBase58()}`)!, 'fingerprint');
      else c.revealResult(a, id, i, commits.get(`${i}/${a.publicKey.toBase58()}`)!);
    } else throw new Error(`execution ${id} task ${i}: unexpected phase ${ts.phase}`);
    return c.execution(id).status === ExecStatus.Done;
  };
}

/**
 * Drives execution `id` to its end with honest nodes (stepper above).
 * Bounded: throws when the execution is not done after `maxSteps` steps.
 */
export function runToDone(c: LocalChain, id: bigint, nodes: Keypair[], maxSteps = 200): void {
  const step = stepper(c, id, nodes);
  for (let n = 0; n < maxSteps; n++) if (c.execution(id).status === ExecStatus.Done || step()) return;
  throw new Error(`execution ${id} not done after ${maxSteps} steps`);
}
