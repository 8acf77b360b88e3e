// Task groups against per-task assignment, measured on the real stack: the same deep DAG (eight tasks,
// models/deep-chain.json) and its grouped twin (models/deep-chain-grouped.json: the five embed layers
// as one group, the branches and their join as another) run on the real program (local validator,
// 100 ms blocks), three oracles' chain loops (ECVRF proofs, assignTask quorums) and four compute agents
// (48 GB, every task) sharing tensors only through an HTTP CAS server. Executions run one at a time,
// alternating the two models. Per execution: latency (request landed → execution done), compute
// selections (selection records on the ledger), and what crossed the network to and from the CAS
// server (blobs and bytes each agent downloaded; uploads). Each task takes at least --compute-ms on
// its node (the example layers compute in microseconds; a real layer does not).
//
//   npx tsx bench/groups.ts [--runs 4] [--compute-ms 300] [--out bench/results/groups.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { tempDir } from '../test/helpers/oracle.js';
import { startFixedCommittee } from '../test/helpers/fixed-committee.js';
import { startCountedAgents, type Transfer } from '../test/helpers/counting-cas.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { USDC } from '../src/chain/program.js';
import { attemptKind, ExecStatus, selectionRecordsInLogs } from '../src/chain/layout.js';
import { registerPlan, registeredTasks } from '../src/chain/models.js';
import { parseManifest, planManifest } from '../src/model/manifest.js';
import { blobStore } from '../src/cas/blobs.js';
import { encodeBundle } from '../src/model/tensor.js';
import { exampleInput } from '../src/model/example.js';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : dflt; };
const RUNS = Number(arg('runs', '4'));
const COMPUTE_MS = Number(arg('compute-ms', '300'));
const OUT = arg('out', 'bench/results/groups.json');

const { dir, cleanup } = tempDir('splitup-bench-groups-');
const closers: Array<() => Promise<unknown>> = [];
try {
  const { chain, nodes, startLoops } = await startFixedCommittee(dir, closers, { nodes: [0, 1, 2, 3].map(() => ({ vramGb: 48 })) });
  const developer = Keypair.generate();
  await airdrop(chain, developer.publicKey, 2n * BigInt(LAMPORTS_PER_SOL));
  const models: Record<string, number> = {};
  for (const name of ['deep-chain', 'deep-chain-grouped']) {
    const manifest = parseManifest(JSON.parse(readFileSync(new URL(`../models/${name}.json`, import.meta.url), 'utf8')));
    const known = await registeredTasks(chain, manifest.tasks.flatMap((x) => (x.taskId ? [x.taskId] : [])));
    models[name] = (await registerPlan(chain, developer, planManifest(manifest, (id) => known.get(id)))).modelId;
  }
  startLoops();
  const { casUrl, token, stores } = await startCountedAgents(dir, closers, chain, nodes, COMPUTE_MS);
  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
  await faucet(chain, requester, requester.publicKey, 100_000n * USDC);
  const requesterCas = blobStore(join(dir, 'requester'), casUrl, token);

  const totals = (): Transfer => stores.reduce((a, s) => ({ reads: a.reads + s.transfer.reads, readBytes: a.readBytes + s.transfer.readBytes, writes: a.writes + s.transfer.writes, writeBytes: a.writeBytes + s.transfer.writeBytes, readHashes: [] }), { reads: 0, readBytes: 0, writes: 0, writeBytes: 0, readHashes: [] });
  const rows: Array<{ model: string; run: number; latencyMs: number; computeSelections: number; verifications: number; downloads: number; downloadBytes: number; uploads: number; uploadBytes: number; lapses: number }> = [];
  let nonce = 1n;
  for (let run = 0; run < RUNS; run++) {
    for (const name of run % 2 ? ['deep-chain-grouped', 'deep-chain'] : ['deep-chain', 'deep-chain-grouped']) {
      const n = nonce++;
      const inputHex = await requesterCas.put(encodeBundle([exampleInput(Number(n))]));
      const execId = chain.program.executionId(requester.publicKey, n);
      const before = totals();
      const lapsesBefore = (await Promise.all(nodes.map(async (k) => (await chain.node(k.publicKey))!.lapses))).reduce((a, b) => a + b, 0);
      await chain.send([requester], [chain.program.requestExecution(requester.publicKey, models[name]!, n, `cas://${inputHex}`, 2000n * USDC)]);
      const t0 = Date.now();
      for (let k = 0; ; k++) {
        if (k > 3000) throw new Error(`execution ${execId} of ${name} not done after 300 s`);
        const e = await chain.execution(execId);
        if (e?.status === ExecStatus.Done) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const latencyMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 500)); // let the last reveals' uploads be counted
      const after = totals();
      const records = (await chain.history(chain.program.executionAddress(execId))).flatMap((tx) => (tx.ok ? selectionRecordsInLogs(tx.logs, chain.program.programId.toBase58()) : [])).filter((x) => x.execId === execId);
      const lapses = (await Promise.all(nodes.map(async (k) => (await chain.node(k.publicKey))!.lapses))).reduce((a, b) => a + b, 0) - lapsesBefore;
      const row = {
        model: name, run, latencyMs,
        computeSelections: records.filter((x) => attemptKind(x.attempt) === 'compute').length,
        verifications: records.filter((x) => attemptKind(x.attempt) === 'verify').length,
        downloads: after.reads - before.reads, downloadBytes: after.readBytes - before.readBytes,
        uploads: after.writes - before.writes, uploadBytes: after.writeBytes - before.writeBytes, lapses,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const summary = Object.fromEntries(['deep-chain', 'deep-chain-grouped'].map((name) => {
    const r = rows.filter((x) => x.model === name);
    const mean = (f: (x: (typeof rows)[number]) => number) => Math.round(r.reduce((a, x) => a + f(x), 0) / r.length * 100) / 100;
    const sorted = r.map((x) => x.latencyMs).sort((a, b) => a - b);
    return [name, { runs: r.length, latencyMsMean: mean((x) => x.latencyMs), latencyMsMedian: sorted[Math.floor(sorted.length / 2)], computeSelections: mean((x) => x.computeSelections), downloads: mean((x) => x.downloads), downloadBytes: mean((x) => x.downloadBytes), uploads: mean((x) => x.uploads), uploadBytes: mean((x) => x.uploadBytes), verifications: mean((x) => x.verifications), lapses: mean((x) => x.lapses) }];
  }));
  const result = { bench: 'groups', date: new Date().toISOString(), runs: RUNS, computeMs: COMPUTE_MS, nodes: '4 x 48 GB, every task', blockMs: 100, summary, rows };
  console.log(JSON.stringify(summary, null, 2));
  writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
} finally {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  cleanup();
}
