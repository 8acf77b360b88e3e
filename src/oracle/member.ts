// An oracle's entry in a committee file: public keys, libp2p peer id and addresses.
import { toBase58, toHex } from '../common/bytes.js';
import { publicKeyFromSecret } from '../vrf/index.js';
import type { OracleKeys } from './keys.js';

export function memberEntry(keys: OracleKeys, name: string, multiaddrs: string[], httpUrl: string, peerId: string) {
  return { name, signingKey: toBase58(keys.signingPublicKey), vrfKey: toHex(publicKeyFromSecret(keys.vrfSecretKey)), peerId, multiaddrs, httpUrl };
}
