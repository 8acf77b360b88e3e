import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCommittee, COMMITTEE_VERSION, COMMITTEE_VERSION_V2, proposerOf } from '../src/consensus/committee.js';
import { resolveConfig, CONFIG_VERSION } from '../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { Oracle } from '../src/oracle/oracle.js';
import { makeOracleDir, tempDir } from './helpers/oracle.js';
import { readFileSync, writeFileSync } from 'node:fs';

const bin = new URL('../bin/oracle.js', import.meta.url).pathname;

t.test('committee file: CLI member-info + committee-init, validation, quorum', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const files: string[] = [];
  for (let i = 0; i < 4; i++) {
    const d = join(dir, `o${i}`);
    writeOracleKeys(join(d, 'oracle-key.json'), generateOracleKeys());
    writeFileSync(join(d, 'oracle.json'), JSON.stringify({ version: CONFIG_VERSION, dataDir: '.', keyFile: 'oracle-key.json' }));
    const r = spawnSync(process.execPath, [bin, 'member-info', '--config', join(d, 'oracle.json'), '--p2p-addr', `/ip4/127.0.0.1/tcp/${9100 + i}`, '--http-url', `http://127.0.0.1:${8100 + i}`, '--name', `o${i}`], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    files.push(join(d, 'member.json'));
    writeFileSync(files[i]!, r.stdout);
  }
  const out = join(dir, 'committee.json');
  const r = spawnSync(process.execPath, [bin, 'committee-init', '--members', files.join(','), '--epoch-ms', '5000', '--out', out], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { n: 4, f: 1, q: 3 });
  const dup = spawnSync(process.execPath, [bin, 'committee-init', '--members', [files[0], files[0]].join(','), '--out', join(dir, 'bad.json')], { encoding: 'utf8' });
  t.equal(dup.status, 2);
  t.match(dup.stderr, /repeats a signing key/);
  t.throws(() => parseCommittee({ version: COMMITTEE_VERSION, members: [{ name: 'x', signingKey: '1111', vrfKey: '00' }] }), /signingKey/);
  t.throws(() => parseCommittee({ version: 'v0', members: [] }), /version/);
  const c = parseCommittee({ version: COMMITTEE_VERSION, members: [0, 1, 2, 3].map((i) => JSON.parse(spawnSync('cat', [files[i]!], { encoding: 'utf8' }).stdout)) });
  t.same([0, 1, 2, 3, 4].map((v) => proposerOf(c, 10n, v)), [2, 3, 0, 1, 2], 'proposer rotates with round and view');

  // epochs: a v1 file is epoch 0 (its id unchanged); the next epoch's file (a rotation) keeps the
  // parameters, carries epoch 1 and has its own id even for the same members
  t.equal(c.epoch, 0, 'a v1 file loads as epoch 0');
  const cur = JSON.parse(readFileSync(out, 'utf8'));
  const v2zero = parseCommittee({ ...cur, version: COMMITTEE_VERSION_V2, epoch: 0 });
  t.same(Buffer.from(v2zero.id), Buffer.from(parseCommittee(cur).id), 'epoch 0 in v2: the v1 id');
  const next = join(dir, 'committee-next.json');
  const rn = spawnSync(process.execPath, [bin, 'committee-init', '--members', [files[0], files[1], files[3]].join(','), '--next-of', out, '--out', next], { encoding: 'utf8' });
  t.equal(rn.status, 0, rn.stderr);
  t.match(JSON.parse(rn.stdout), { epoch: 1, n: 3, q: 2 });
  const nextDoc = JSON.parse(readFileSync(next, 'utf8'));
  t.same({ version: nextDoc.version, epoch: nextDoc.epoch, params: { ...nextDoc.params, genesisMs: 0 } }, { version: COMMITTEE_VERSION_V2, epoch: 1, params: { ...cur.params, genesisMs: 0 } }, 'the current parameters, the next epoch');
  t.ok(nextDoc.params.genesisMs >= cur.params.genesisMs && nextDoc.params.genesisMs % cur.params.epochMs === 0, 'its rounds count from its creation');
  const sameMembersNextEpoch = parseCommittee({ ...cur, version: COMMITTEE_VERSION_V2, epoch: 1 });
  t.notSame(Buffer.from(sameMembersNextEpoch.id), Buffer.from(parseCommittee(cur).id), 'the same members in another epoch: another committee id');
  t.throws(() => parseCommittee({ ...cur, epoch: 1 }), /epoch needs version/, 'an epoch in a v1 file is refused');
  t.throws(() => parseCommittee({ ...cur, version: COMMITTEE_VERSION_V2 }), /epoch must be an integer/, 'v2 needs its epoch');
  t.throws(() => parseCommittee({ ...cur, version: COMMITTEE_VERSION_V2, epoch: -1 }), /epoch must be an integer/);
});

t.test('an oracle whose key is not in the committee refuses to start', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { config } = makeOracleDir(dir, []);
  const other = join(dir, 'other');
  writeOracleKeys(join(other, 'k.json'), generateOracleKeys());
  writeFileSync(join(other, 'o.json'), JSON.stringify({ version: CONFIG_VERSION, dataDir: '.', keyFile: 'k.json' }));
  const info = spawnSync(process.execPath, [bin, 'member-info', '--config', join(other, 'o.json'), '--p2p-addr', '/ip4/127.0.0.1/tcp/1', '--http-url', 'http://127.0.0.1:1'], { encoding: 'utf8' });
  writeFileSync(join(dir, 'committee.json'), JSON.stringify({ version: COMMITTEE_VERSION, members: [JSON.parse(info.stdout)] }));
  await t.rejects(Oracle.start(resolveConfig({ ...config, committeeFile: 'committee.json', p2p: undefined }, dir), { logger: false }), /is not a member/);
});
