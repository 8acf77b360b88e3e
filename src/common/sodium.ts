// libsodium through the `sodium-native` package (prebuilt binary, no compiler
// needed), loaded once. Used where it is several times faster than the
// alternatives: ECVRF curve arithmetic (src/vrf) and Ed25519 verification on
// the heartbeat intake path (src/liveness). Everything that uses it has a pure
// node:crypto / @noble fallback for platforms where the binary does not load.
import { createRequire } from 'node:module';

/** The subset of sodium-native this project calls. */
export interface Sodium {
  crypto_core_ed25519_is_valid_point(p: Uint8Array): boolean;
  crypto_core_ed25519_add(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_sub(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_scalar_reduce(r: Uint8Array, s: Uint8Array): void;
  crypto_scalarmult_ed25519_noclamp(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_ed25519_base_noclamp(q: Uint8Array, n: Uint8Array): void;
  crypto_hash_sha512(out: Uint8Array, input: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
}

let cached: { sodium: Sodium } | { error: string } | undefined;

/** libsodium, or the reason it could not be loaded (the result is cached). */
export function loadSodium(): { sodium: Sodium } | { error: string } {
  if (cached) return cached;
  try {
    const s = createRequire(import.meta.url)('sodium-native') as Sodium;
    // smoke test: 1·B must encode as the RFC 8032 base point
    const one = new Uint8Array(32); one[0] = 1;
    const b = new Uint8Array(32);
    s.crypto_scalarmult_ed25519_base_noclamp(b, one);
    cached = Buffer.from(b).toString('hex') === '5866666666666666666666666666666666666666666666666666666666666666' ? { sodium: s } : { error: 'sodium-native base point check failed' };
  } catch (e) {
    cached = { error: (e as Error).message };
  }
  return cached;
}
