// The program's test chain: see src/chain/local-chain.ts.
export { LocalChain as ChainFixture, DIAMOND, TASKS, f32 } from '../../src/chain/local-chain.js';
