// A real oracle process killed with SIGKILL and restarted: accepted seqs stay
// accepted, so no replay reopens.
import t from 'tap';
import { once } from 'node:events';
import { TestNode } from './helpers/heartbeat.js';
import { makeOracleDir, spawnOracle, tempDir } from './helpers/oracle.js';

const post = (url: string, body: unknown) =>
  fetch(`${url}/api/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

t.test('kill -9 and restart: no replay reopens, last heartbeat kept', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const nodes = Array.from({ length: 5 }, () => new TestNode());
  // a skew window wider than any restart here: the replays must be refused for their seq, not for
  // their age (at load 12 a restart took 13 s, past the 10 s default, and the test saw STALE_TIMESTAMP)
  const { configFile } = makeOracleDir(dir, nodes, { rateBurst: 100, maxSkewMs: 300_000 });
  const first = await spawnOracle(configFile);
  const sent = [];
  for (const n of nodes) for (let i = 0; i < 3; i++) {
    const hb = n.heartbeat(Date.now());
    t.equal((await post(first.url, hb)).status, 200);
    sent.push(hb);
  }
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = await spawnOracle(configFile);
  t.teardown(() => { second.child.kill('SIGKILL'); });
  for (const hb of sent) {
    const r = await post(second.url, hb);
    t.equal(r.status, 409, 'replay after restart rejected');
    t.equal(r.body.code, 'REPLAYED_SEQ', JSON.stringify(r.body));
  }
  for (const n of nodes) {
    const v = await (await fetch(`${second.url}/api/nodes/${n.nodeId}`)).json() as any;
    t.equal(v.lastSeq, '3', 'seq persisted');
    t.equal(v.status, 'online', 'last heartbeat persisted');
    t.equal((await post(second.url, n.heartbeat(Date.now()))).status, 200, 'next seq accepted');
  }
  second.child.kill('SIGTERM');
  const [code] = await once(second.child, 'exit');
  t.equal(code, 0, 'graceful shutdown on SIGTERM');
});
