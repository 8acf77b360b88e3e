// The committee's libp2p network admits members only: an outsider that knows a member's address
// is refused before any stream opens (gossipsub's peer scoring exempts direct peers, and the
// consensus core bounds each member; this keeps everyone else out), while members gossip.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { P2PNetwork, peerIdFromSeed, type P2PPeer } from '../src/p2p/libp2p.js';
import { waitFor } from './helpers/heartbeat.js';

const TOPIC = 'splitup/test/members/v1';

t.test('members connect and gossip; an outsider dialling a member is refused', async (t) => {
  const seeds = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const got: Array<Uint8Array[]> = [[], [], []];
  const nets = seeds.map((seed, i) => new P2PNetwork({
    seed, listen: ['/ip4/127.0.0.1/tcp/0'], topic: TOPIC, peers: [], reconnectMs: 100,
    membersOnly: i < 2, // nodes 0 and 1 are the committee; node 2 is the outsider
    validate: () => undefined, onMessage: (d) => { got[i]!.push(d); },
  }));
  t.teardown(async () => { for (const n of nets) await n.stop(); });
  for (const n of nets) await n.start();
  const ids = await Promise.all(seeds.map((s) => peerIdFromSeed(s)));
  const peer = (i: number): P2PPeer => ({ peerId: ids[i]!, multiaddrs: nets[i]!.addresses });
  nets[0]!.setPeers([peer(0), peer(1)]);
  nets[1]!.setPeers([peer(0), peer(1)]);
  nets[2]!.setPeers([peer(2), peer(0), peer(1)]); // the outsider knows both members and dials them

  await waitFor(() => nets[0]!.connectedPeers().includes(ids[1]!) && nets[1]!.connectedPeers().includes(ids[0]!), 20_000);
  await waitFor(() => nets[0]!.outsidersRefused + nets[1]!.outsidersRefused > 0, 20_000);
  t.notOk(nets[0]!.connectedPeers().includes(ids[2]!), 'member 0 holds no connection to the outsider');
  t.notOk(nets[1]!.connectedPeers().includes(ids[2]!), 'member 1 holds no connection to the outsider');

  // gossip between members still flows (retried: the gossipsub stream comes up after the connection)
  const payload = new Uint8Array([1, 2, 3, 4]);
  await waitFor(async () => { await nets[0]!.publish(payload); return got[1]!.length > 0; }, 20_000, 200);
  t.same([...got[1]![0]!], [...payload], 'member 1 received member 0\'s message');
  t.equal(got[2]!.length, 0, 'the outsider received nothing');
});
