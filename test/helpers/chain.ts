// The program's test chain: see src/chain/local-chain.ts.
export { LocalChain as ChainFixture, DIAMOND, TASKS, f32 } from '../../src/chain/local-chain.js';

import { Keypair } from '@solana/web3.js';
import type { CommitteeParams } from '../../src/chain/program.js';
import { LocalChain } from '../../src/chain/local-chain.js';

/**
 * A committee of n with the tasks and the example model registered, and a funded requester;
 * request(maxFee) asks for the next execution (ids 1, 2, …) and returns its id.
 */
export function withRequester(params: CommitteeParams, n = 3) {
  const c = new LocalChain(n);
  c.initCommittee(params);
  c.registerTasks();
  c.registerModel();
  const requester = Keypair.generate();
  c.svm.airdrop(requester.publicKey, 1_000_000_000_000n);
  let nextId = 1n;
  const request = (maxFee = 1_000_000_000n) => {
    const id = nextId++;
    c.ok([requester], c.program.requestExecution(requester.publicKey, 7, id, `cas://${id}`, maxFee));
    return id;
  };
  return { c, requester, request };
}
