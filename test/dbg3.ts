import { until } from './helpers/heartbeat.js';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { ChainCommittee } from './helpers/chain-committee.js';
import { airdrop } from '../src/chain/bootstrap.js';
import { DEFAULT_PARAMS } from '../src/chain/program.js';
import { CasStore } from '../src/cas/store.js';
import { ComputeAgent } from '../src/node/agent.js';
import { encodeBundle } from '../src/model/tensor.js';
import { exampleInput } from '../src/model/example.js';
import { tempDir } from './helpers/oracle.js';
const t0 = Date.now();
const cc = new ChainCommittee(3, 6, { params: { ...DEFAULT_PARAMS, pPpm: 1_000_000 } });
const { dir } = tempDir('splitup-cas-');
const cas = new CasStore(dir);
await cc.start();
await until('committed rounds', async () => cc.tc.oracles.every((_, i) => cc.tc.head(i) >= 3n), 90_000);
for (let i = 0; i < 3; i++) cc.startLoop(i);
cc.nodeKeys.forEach((keypair, i) => { const a = new ComputeAgent({ chain: cc.chain, keypair, cas, pollMs: 100, cheat: i === 5, onEvent: (e) => { if (e.kind === 'failed') console.log('EV', ((Date.now() - t0) / 1000).toFixed(1), i, e.kind, e.execId, e.task, (e as any).error ?? ''); } }); a.start(); });
const chain = cc.chain;
const requester = Keypair.generate();
await airdrop(chain, requester.publicKey, 100n * BigInt(LAMPORTS_PER_SOL));
const ids = [1n, 2n, 3n, 4n, 5n, 6n];
for (const id of ids) {
  const uri = `cas://${cas.put(encodeBundle([exampleInput(Number(id))]))}`;
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, 7, id, uri, 2_000_000_000n)]);
}
console.log('requested at', ((Date.now() - t0) / 1000).toFixed(1));
for (let k = 0; k < 14; k++) {
  await new Promise((r) => setTimeout(r, 8000));
  const es = await Promise.all(ids.map((id) => chain.execution(id)));
  console.log('T', ((Date.now() - t0) / 1000).toFixed(1), 'slot', await chain.slot(), es.map((e) => e!.tasks.map((t) => `${t.phase}.${(t.attempt >>> 0).toString(16)}.${t.result}`).join(',') + (e!.status === 2 ? ' DONE' : '')).join(' | '));
  const nodes = await chain.nodes();
  console.log('  lapses', nodes.map((n) => `${n.lapses}/${n.slashes}/${n.activeJobs}`).join(' '));
  if (es.every((e) => e!.status === 2)) break;
}
process.exit(0);
