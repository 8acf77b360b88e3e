// `splitup-validator --help` and the README list every method the validator serves.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PublicKey } from '@solana/web3.js';
import { Ledger } from '../src/validator/ledger.js';
import { METHOD_DOCS, SUBSCRIPTION_DOCS, rpcMethods } from '../src/validator/rpc.js';
import { loadProgramBinary } from '../src/chain/program.js';
import { tempDir } from './helpers/oracle.js';

const bin = new URL('../bin/validator.js', import.meta.url).pathname;
const programs = [{ id: new PublicKey('SpLitUp111111111111111111111111111111111111'), so: loadProgramBinary() }];

t.test('--help lists every JSON-RPC and PubSub method the validator serves', async (t) => {
  const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  const { dir, cleanup } = tempDir('splitup-ledger-help-');
  t.teardown(cleanup);
  const l = await Ledger.open(dir, programs, Date.now());
  const served = Object.keys(rpcMethods(l)).sort();
  await l.close();
  t.same(Object.keys(METHOD_DOCS).sort(), served, 'every served method is documented, and only those');
  for (const m of [...served, ...Object.keys(SUBSCRIPTION_DOCS)]) t.match(help, new RegExp(`\\b${m}\\b`), `--help: ${m}`);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const m of [...served, ...Object.keys(SUBSCRIPTION_DOCS)]) t.match(readme, new RegExp(`\\b${m}\\b`), `README: ${m}`);
});
