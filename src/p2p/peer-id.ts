// An oracle's libp2p identity from its 32-byte seed: the Ed25519 key and its peer id. Apart from
// libp2p.ts so that the CLIs that only print a committee entry (member-info, the launcher) do not
// load the whole libp2p stack.
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

// @libp2p/crypto and @libp2p/peer-id resolve two copies of @libp2p/interface's typings here;
// the key objects are the same at run time.
type Key = Parameters<typeof peerIdFromPrivateKey>[0];
export const keyFromSeed = async (seed: Uint8Array): Promise<Key> => (await generateKeyPairFromSeed('Ed25519', seed)) as unknown as Key;

export async function peerIdFromSeed(seed: Uint8Array): Promise<string> {
  return peerIdFromPrivateKey(await keyFromSeed(seed)).toString();
}
