// A multi-host-style run over an S3-compatible bucket (a real s3rver on 127.0.0.1): three compute
// agents, each with its own CAS directory, and a requester (the CLI, `request --wait --cas-url
// s3://…`, credentials from the environment) share tensors only through the bucket; three oracles'
// chain loops assign and verify the diamond on the real program (local validator over LiteSVM),
// over one fixed liveness table (as test/requester.test.ts; BFT rounds are covered elsewhere).
// While the execution runs, a collector with no grace period passes over the bucket every 250 ms:
// it must never delete what the running execution needs (the execution completes and its output
// verifies). Once it settled and the requester released the output, the bucket's owner runs
// `splitup-node cas-gc --once` and the bucket is empty.
import t from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecStatus } from '../src/chain/layout.js';
import { openBlobStore } from '../src/cas/blobs.js';
import { S3Blobs } from '../src/cas/s3.js';
import { chainViewOf, collectGarbage, type GcReport } from '../src/cas/gc.js';
import { sha256hex } from '../src/cas/store.js';
import { ComputeAgent } from '../src/node/agent.js';
import { exampleInput, runTask } from '../src/model/example.js';
import { encodeBundle } from '../src/model/tensor.js';
import { tempDir } from './helpers/oracle.js';
import { startFixedCommittee } from './helpers/fixed-committee.js';
import { runCli } from './helpers/cli.js';
import { S3_CREDENTIALS, S3_ENV, startS3 } from './helpers/s3.js';

const chainBin = new URL('../bin/chain.js', import.meta.url).pathname;
const nodeBin = new URL('../bin/node.js', import.meta.url).pathname;
const blobsIn = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f]{2}$/.test(f)).flatMap((f) => readdirSync(join(d, f)).filter((x) => /^[0-9a-f]{64}$/.test(x))) : []);

t.test('nodes with their own directories share tensors only through an S3 bucket; the collector never breaks the run', async (t) => {
  const { dir, cleanup } = tempDir('splitup-cross-node-');
  t.teardown(cleanup);
  const closers: Array<() => Promise<unknown>> = [];
  t.teardown(async () => { for (const c of closers.reverse()) await c().catch(() => undefined); });

  const s3 = await startS3();
  closers.push(() => s3.close());
  const url = s3.url('tensors');
  const bucket = S3Blobs.fromUrl(url, S3_CREDENTIALS);
  closers.push(async () => bucket.close());

  const { chain, nodes, base, startLoops } = await startFixedCommittee(dir, closers);
  startLoops();
  // each agent: its own directory in front of the bucket
  const nodeDirs = nodes.map((_, i) => join(dir, `node-${i}`));
  const agents = await Promise.all(nodes.map(async (keypair, i) => new ComputeAgent({ chain, keypair, cas: await openBlobStore({ dir: nodeDirs[i]!, url, s3Credentials: S3_CREDENTIALS }), pollMs: 200 })));
  agents.forEach((a) => a.start());
  closers.push(() => Promise.all(agents.map((a) => a.stop())));

  // an aggressive collector over the bucket while the execution runs: no grace, finals until released
  const view = chainViewOf(chain);
  const reports: GcReport[] = [];
  const errors: string[] = [];
  let collecting = true;
  const collector = (async () => {
    for (let n = 0; n < 2000 && collecting; n++) {
      await collectGarbage(bucket, view, { ttlMs: 3600_000, finalTtlMs: 0, graceMs: 0 }, Date.now()).then((r) => reports.push(r), (e) => errors.push(String(e)));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  closers.push(async () => { collecting = false; await collector; });

  const input = exampleInput(11);
  const inputFile = join(dir, 'input.json');
  writeFileSync(inputFile, JSON.stringify({ tensors: [{ shape: input.shape, data: Array.from(input.data) }] }));
  const requesterDir = join(dir, 'requester-cas');
  const res = await runCli(chainBin, ['request', ...base, '--key', join(dir, 'requester.json'), '--airdrop', '20', '--model', '1', '--input', inputFile, '--max-fee', '2000',
    '--cas', requesterDir, '--cas-url', url, '--wait', '--timeout-s', '120'], 150_000, { env: { ...process.env, ...S3_ENV } });
  collecting = false;
  await collector;
  t.equal(res.status, 0, res.stderr);
  const got = JSON.parse(res.stdout);
  t.equal(got.status, 'done');
  const h = runTask(1, [input])[0]!, l = runTask(2, [h])[0]!, r = runTask(3, [h])[0]!;
  const y = runTask(4, [l, r]);
  t.equal(got.outputs[0].sha256, sha256hex(encodeBundle(y)), 'the output is the diamond of the input, verified against the accepted hash');
  t.equal(got.released, 'released', 'the requester released its output to the bucket\'s collector');
  t.same(errors, [], 'no collector pass failed');
  t.ok(reports.length >= 5, `${reports.length} collector passes ran during the execution`);
  t.comment(`collector passes during the run: ${reports.length}; deleted in them: ${reports.reduce((n, x) => n + x.deleted, 0)} (after the execution settled)`);
  t.ok(reports.some((x) => (x.byReason.needed ?? 0) > 0), 'they saw the running execution\'s tensors as needed');

  // sharing only through the bucket: no directory in common, and each party read what others wrote
  const e = (await chain.execution(BigInt(got.execId)))!;
  t.equal(e.status, ExecStatus.Done);
  const inputHex = e.uri.slice('cas://'.length), finalHex = got.outputs[0].sha256 as string;
  const held = nodeDirs.map(blobsIn);
  t.ok(held.some((b) => b.includes(inputHex)), 'a node holds the input: it came from the requester through the bucket');
  t.ok(blobsIn(requesterDir).includes(finalHex), 'the requester holds the output: it came from a node through the bucket');
  const outputs = e.tasks.map((ts) => Buffer.from(ts.output).toString('hex'));
  t.ok(outputs.every((o) => held.some((b) => b.includes(o))), 'every task\'s output is in the directory of a node (its asserter\'s)');
  t.notOk(existsSync(join(dir, 'cas')), 'no directory the parties share');

  // the bucket's owner collects: the settled execution's tensors and the released output go
  const gc = await runCli(nodeBin, ['cas-gc', '--cas', url, ...base, '--grace-ms', '0', '--once'], 60_000, { env: { ...process.env, ...S3_ENV } });
  t.equal(gc.status, 0, gc.stderr);
  const report = JSON.parse(gc.stdout.trim().split('\n').pop()!);
  t.equal(report.msg, 'collected');
  t.equal(report.releases.honoured, 1, 'the requester\'s release was honoured');
  t.same(await bucket.list(), [], 'the bucket holds no tensor of the settled execution');
});
